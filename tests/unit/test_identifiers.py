"""Unit tests for approvals.identifiers: USCC (GB 32100-2015), resident ID (GB 11643), masking."""

from __future__ import annotations

import random
from datetime import date

import pytest

from approvals.identifiers import (
    USCC_ALPHABET,
    mask,
    resident_id_check_char,
    resident_id_problem,
    uscc_check_char,
    uscc_problem,
)

VALID_USCC = ["91110108551385082Q", "91350200MA2YJ1XR9G"]
VALID_RESIDENT_ID = "11010519491231002X"

# Weight tables as printed in the standards, deliberately not derived from the 3^i / 2^(17-i)
# formulas the module uses, so the tests check the module against the published tables.
GB32100_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
GB11643_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
GB11643_CHECK = {0: "1", 1: "0", 2: "X", 3: "9", 4: "8", 5: "7", 6: "6", 7: "5", 8: "4", 9: "3", 10: "2"}


def reference_uscc_check(body: str) -> str:
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(body, GB32100_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def reference_id_check(body: str) -> str:
    return GB11643_CHECK[sum(int(ch) * w for ch, w in zip(body, GB11643_WEIGHTS)) % 11]


def resident_id(area: str, born: str, seq: str = "002") -> str:
    """A resident ID with a correct check character, built with the reference algorithm."""
    body = area + born + seq
    assert len(body) == 17
    return body + reference_id_check(body)


# --- unified social credit code ------------------------------------------------------------


def test_alphabet_excludes_letters_easily_misread():
    assert len(USCC_ALPHABET) == 31
    for ch in "IOSVZ":
        assert ch not in USCC_ALPHABET


@pytest.mark.parametrize("code", VALID_USCC)
def test_published_uscc_examples_are_valid(code):
    assert uscc_problem(code) is None


@pytest.mark.parametrize("code", VALID_USCC)
def test_uscc_check_char_reproduces_published_examples(code):
    assert uscc_check_char(code[:17]) == code[17]


def test_uscc_check_char_agrees_with_published_weight_table():
    rng = random.Random(32100)
    for _ in range(300):
        body = "".join(rng.choice(USCC_ALPHABET) for _ in range(17))
        check = uscc_check_char(body)
        assert check == reference_uscc_check(body)
        assert uscc_problem(body + check) is None


@pytest.mark.parametrize("code", ["", "91110108551385082", "91110108551385082QQ"])
def test_uscc_wrong_length_is_reported_with_the_length(code):
    problem = uscc_problem(code)
    assert problem is not None
    assert "18" in problem and str(len(code)) in problem


@pytest.mark.parametrize("bad", list("IOSVZ"))
def test_uscc_letters_outside_alphabet_are_named(bad):
    code = VALID_USCC[0][:10] + bad + VALID_USCC[0][11:]
    problem = uscc_problem(code)
    assert problem is not None
    assert "alphabet" in problem and bad in problem


def test_uscc_lowercase_is_outside_the_alphabet():
    problem = uscc_problem(VALID_USCC[1].lower())
    assert problem is not None and "alphabet" in problem


def test_uscc_wrong_check_char_names_the_expected_one():
    code = VALID_USCC[0][:17] + "R"
    problem = uscc_problem(code)
    assert problem is not None
    assert "check" in problem and "Q" in problem


@pytest.mark.parametrize("code", VALID_USCC)
def test_uscc_detects_every_single_character_substitution(code):
    # 31 is prime and no weight is 0 mod 31, so any one changed character changes the check.
    for i in range(17):
        for ch in USCC_ALPHABET:
            if ch == code[i]:
                continue
            mutated = code[:i] + ch + code[i + 1 :]
            assert uscc_problem(mutated) is not None, mutated


# --- resident identity number ---------------------------------------------------------------


def test_published_resident_id_is_valid():
    assert resident_id_problem(VALID_RESIDENT_ID) is None
    assert resident_id_problem(VALID_RESIDENT_ID, today=date(2025, 1, 1)) is None


def test_resident_id_check_char_reproduces_published_example():
    assert resident_id_check_char(VALID_RESIDENT_ID[:17]) == "X"


def test_resident_id_check_char_agrees_with_published_weight_table():
    rng = random.Random(11643)
    seen = set()
    for _ in range(500):
        body = "".join(rng.choice("0123456789") for _ in range(17))
        check = resident_id_check_char(body)
        assert check == reference_id_check(body)
        seen.add(check)
    assert seen == set("0123456789X")  # every check value is reachable, X included


def test_resident_id_round_trip_with_real_birth_date_is_valid():
    number = resident_id("430981", "19870615", "281")
    assert resident_id_problem(number) is None


@pytest.mark.parametrize("number", ["", VALID_RESIDENT_ID[:17], VALID_RESIDENT_ID + "1"])
def test_resident_id_wrong_length(number):
    problem = resident_id_problem(number)
    assert problem is not None and "18" in problem


@pytest.mark.parametrize("number", ["1101051949123100AX", "11010519491231002Y", "110105-949123100 X"])
def test_resident_id_non_digits_rejected(number):
    problem = resident_id_problem(number)
    assert problem is not None and "digit" in problem


def test_resident_id_lowercase_x_is_rejected_but_uppercase_is_valid():
    # GB 11643 prints the check value 10 as an uppercase X; normalising input is the caller's job.
    lower = VALID_RESIDENT_ID[:17] + "x"
    assert resident_id_problem(lower) is not None
    assert resident_id_problem(lower.upper()) is None


@pytest.mark.parametrize("born", ["19490231", "19491301", "19490000", "20230229"])
def test_resident_id_impossible_birth_date(born):
    number = resident_id("110105", born)  # check character is right: only the date is wrong
    problem = resident_id_problem(number)
    assert problem is not None
    assert born in problem and "date" in problem


def test_resident_id_leap_day_is_a_real_date():
    assert resident_id_problem(resident_id("110105", "20000229")) is None


def test_resident_id_future_birth_date_refused_only_when_today_is_given():
    number = resident_id("110105", "20300101")
    problem = resident_id_problem(number, today=date(2025, 6, 1))
    assert problem is not None and "2030-01-01" in problem
    # Born today is not in the future.
    assert resident_id_problem(number, today=date(2030, 1, 1)) is None
    assert resident_id_problem(number, today=date(2029, 12, 31)) is not None


def test_resident_id_birth_before_1900_out_of_range():
    problem = resident_id_problem(resident_id("110105", "18991231"))
    assert problem is not None and "1899-12-31" in problem
    assert resident_id_problem(resident_id("110105", "19000101")) is None


def test_resident_id_wrong_check_char_names_the_expected_one():
    number = VALID_RESIDENT_ID[:17] + "5"
    problem = resident_id_problem(number)
    assert problem is not None
    assert "check" in problem and "X" in problem


def test_resident_id_abolished_area_code_is_not_rejected():
    # Area codes are not checked: an abolished county's code stays valid on old cards.
    assert resident_id_problem(resident_id("999999", "19800101")) is None


def test_resident_id_detects_every_single_digit_substitution():
    for i in range(17):
        for ch in "0123456789":
            if ch == VALID_RESIDENT_ID[i]:
                continue
            mutated = VALID_RESIDENT_ID[:i] + ch + VALID_RESIDENT_ID[i + 1 :]
            assert resident_id_problem(mutated) is not None, mutated


def test_resident_id_full_width_digits_rejected():
    full_width = VALID_RESIDENT_ID[:17].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "X"
    assert resident_id_problem(full_width) is not None


def test_resident_id_superscript_digit_reported_not_raised():
    assert resident_id_problem("²" + VALID_RESIDENT_ID[1:]) is not None


# --- masking --------------------------------------------------------------------------------


def test_mask_keeps_six_leading_and_four_trailing_characters():
    masked = mask(VALID_RESIDENT_ID)
    assert masked == "110105" + "*" * 8 + "002X"
    assert len(masked) == len(VALID_RESIDENT_ID)
    assert "19491231" not in masked  # the birth date is hidden


def test_mask_custom_widths():
    assert mask(VALID_USCC[0], keep_start=2, keep_end=1) == "91" + "*" * 15 + "Q"


@pytest.mark.parametrize("short", ["", "1234", "1234567890"])
def test_mask_short_identifier_is_fully_hidden(short):
    # At or under keep_start + keep_end characters, showing both ends would show everything.
    assert mask(short) == "*" * len(short)


def test_mask_one_character_longer_than_kept_hides_one():
    assert mask("12345678901") == "123456*8901"


def test_mask_keep_end_zero_reveals_nothing_after_the_start():
    masked = mask(VALID_USCC[0], keep_start=6, keep_end=0)
    assert masked == "911101" + "*" * 12


# --- where python-stdnum's validate() disagrees (the module docstring says why) ---------------------


@pytest.mark.parametrize("body", ["N2350181MA2YJ1XR9", "Y1110108551385082", "A1110000MA2YJ1XR9"])
def test_uscc_of_an_authority_coded_by_a_letter_is_valid(body):
    # GB 32100 Table 1: A (military establishment office), N (agriculture), Y (other) register codes too.
    code = body + reference_uscc_check(body)
    assert uscc_problem(code) is None
    assert uscc_check_char(body) == code[17]


@pytest.mark.parametrize("code", ["91110108-55138508Q", "9111010855138508 Q", "91110108 551385082Q"])
def test_uscc_separators_are_not_dropped_silently(code):
    problem = uscc_problem(code)
    assert problem is not None and ("alphabet" in problem or "18" in problem)


@pytest.mark.parametrize("body", ["91110108551385082"[:16], "91110108551385082Q", "91350200ma2yj1xr9", "9135 200MA2YJ1XR9"])
def test_uscc_check_char_refuses_a_body_it_would_have_to_normalise(body):
    with pytest.raises(ValueError):
        uscc_check_char(body)


@pytest.mark.parametrize("area, born", [("310115", "19800101"),  # Pudong New Area, created 1993
                                        ("330110", "19900101"),  # Yuhang District, created 2001
                                        ("110103", "19800101"),  # Chongwen District, abolished 2010
                                        ("341000", "19700505")])  # Huangshan City, named 1987
def test_resident_id_area_code_created_after_birth_or_since_abolished_is_valid(area, born):
    # A card carries the area code of where it was issued, which may postdate the holder's birth.
    assert resident_id_problem(resident_id(area, born)) is None


def test_resident_id_year_zero_is_not_a_real_date():
    problem = resident_id_problem(resident_id("110105", "00000101"))
    assert problem is not None and "00000101" in problem and "date" in problem


@pytest.mark.parametrize("body", ["1101051949123100", "11010519491231002X", "1101051949123100x",
                                  "１１０１０５１９４９１２３１００２"])
def test_resident_id_check_char_refuses_anything_but_17_ascii_digits(body):
    with pytest.raises(ValueError):
        resident_id_check_char(body)
