"""What the READMEs tell people to type exists: every `atenciones` example parses, every `make`
target they name is in the Makefile. (tests/integration/test_readme_examples.py runs them.)"""

from __future__ import annotations

import re

import pytest

from atenciones.cli import build_parser
from foundation.settings import REPO_ROOT
from tests.readme_examples import Example, readme_examples, readmes

EXAMPLES = readme_examples()


def test_the_readmes_show_examples() -> None:
    assert {example.argv[0] for example in EXAMPLES} >= {"publish", "simulate", "dlq", "case"}


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_every_readme_example_is_accepted_by_the_cli(example: Example) -> None:
    try:
        build_parser().parse_args(list(example.argv))
    except SystemExit as refused:  # argparse already printed why
        pytest.fail(f"{example} is refused by the CLI (exit {refused.code})")


def makefile_targets() -> set[str]:
    text = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z0-9-]*):", text, flags=re.MULTILINE))


def test_every_make_target_the_readmes_name_exists() -> None:
    named = {
        target
        for readme in readmes()
        for target in re.findall(
            r"(?:`|^)make ([a-z][a-z0-9-]*)", readme.read_text(encoding="utf-8"), re.MULTILINE
        )
    }
    assert named, "the READMEs name no make target"
    assert named - makefile_targets() == set()
