"""The `atenciones` command lines the READMEs show in their shell blocks, as a person would copy
them: continuation lines joined, trailing comments dropped."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from foundation.settings import REPO_ROOT

SHELL_BLOCK = re.compile(r"```(?:bash|sh|shell|console)\n(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class Example:
    readme: Path
    argv: tuple[str, ...]  # without the leading "atenciones"

    def __str__(self) -> str:
        return f"{self.readme.relative_to(REPO_ROOT)}: atenciones {shlex.join(self.argv)}"


def readmes() -> list[Path]:
    return sorted(
        path
        for path in REPO_ROOT.glob("**/README.md")
        if not any(part.startswith(".") or part == "node_modules" for part in path.parts)
    )


def readme_examples() -> list[Example]:
    examples = []
    for readme in readmes():
        for block in SHELL_BLOCK.findall(readme.read_text(encoding="utf-8")):
            for line in block.replace("\\\n", " ").splitlines():
                words = shlex.split(line, comments=True)
                if words[:1] == ["atenciones"]:
                    examples.append(Example(readme, tuple(words[1:])))
    return examples
