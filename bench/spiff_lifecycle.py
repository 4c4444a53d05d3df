"""The same case shape in SpiffWorkflow 3.2, the in-process Python BPMN engine we measure ourselves against.

A BPMN process: start → parallel gateway → 5 user tasks (one per agency) → join → end. Each case
starts a workflow, serialises it to JSON, then completes the 5 reviews one by one, serialising the
workflow to JSON after each step (what an application stores between two clicks). The last line is
JSON: {"engine": "spiffworkflow", "cases": N, "seconds": s, "cases_per_s": x, "peak_rss_mb": m}.

    pip install -e ".[bench]"; python bench/spiff_lifecycle.py --cases 1000
"""

from __future__ import annotations

import argparse
import json
import resource
import time

MATTERS = 5
_FLOWS = "\n".join(
    f'<bpmn:sequenceFlow id="to_{i}" sourceRef="fork" targetRef="review_{i}"/>'
    f'<bpmn:userTask id="review_{i}" name="review {i}"/>'
    f'<bpmn:sequenceFlow id="from_{i}" sourceRef="review_{i}" targetRef="join"/>'
    for i in range(MATTERS)
)
BPMN = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="onevisit-bench">
  <bpmn:process id="one_visit" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="start_fork" sourceRef="start" targetRef="fork"/>
    <bpmn:parallelGateway id="fork"/>
    {_FLOWS}
    <bpmn:parallelGateway id="join"/>
    <bpmn:sequenceFlow id="join_end" sourceRef="join" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run(cases: int) -> dict:
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.parser import BpmnParser
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.util.task import TaskState

    parser = BpmnParser()
    parser.add_bpmn_str(BPMN.encode())
    spec = parser.get_spec("one_visit")
    serializer = BpmnWorkflowSerializer()
    start = time.perf_counter()
    for _ in range(cases):
        workflow = BpmnWorkflow(spec)
        workflow.do_engine_steps()
        stored = serializer.serialize_json(workflow)
        for _ in range(MATTERS):
            task = workflow.get_next_task(state=TaskState.READY, manual=True)
            task.data["decision"] = "approve"
            task.run()
            workflow.do_engine_steps()
            stored = serializer.serialize_json(workflow)
        assert workflow.completed, "the join did not complete"
        assert stored
    seconds = time.perf_counter() - start
    return {"engine": "spiffworkflow", "cases": cases, "seconds": round(seconds, 3),
            "cases_per_s": round(cases / seconds, 1), "peak_rss_mb": peak_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    options = parser.parse_args()
    print(json.dumps(run(options.cases)))


if __name__ == "__main__":
    main()
