"""Every reference in the project's text files points inside the repository.

A user of the package has the repository and nothing else, so a docstring, comment, help text or
page that cites a file must cite one that is in it, and a cited section must exist. Scanned: every
tracked (or new, not ignored) ``.py``, ``.md``, ``.toml``, ``.txt`` and ``.cfg`` file, all of its
text (docstrings, comments, help strings, code). A reference fails when it is

* a path outside the repository: anything under ``../shared``, ``shared/reference`` or ``/work/``;
* a mentioned ``*.md`` file, a ``docs/...`` path, a ``./`` or ``../`` relative path, or a path
  under one of the repository's top-level directories (``sims/noise.py``) that does not exist,
  relative to the citing file's directory or to the repository root;
* a markdown link ``[text](target)`` whose target does not exist relative to the linking page;
* an anchor (``docs/mathematics.md#pitfalls``, ``[text](#pitfalls)``) that is not a heading of
  its target file, with GitHub's anchor rule (:func:`slug`).

URLs (``https://...``) are not references to files of the repository and are skipped.
"""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_THIS = Path(__file__).resolve().relative_to(ROOT).as_posix()
SUFFIXES = (".py", ".md", ".toml", ".txt", ".cfg")
#: Directories never scanned when the tree is walked without git (build products, environments).
SKIP_DIRS = {".git", ".venv", "__pycache__", "build", ".pytest_cache", ".hypothesis"}

# Places outside the repository that project files must never cite.
_OUTSIDE = re.compile(r"\.\./shared\b|\bshared/reference\b|(?<![\w.])/work/")
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
# A path-like token may not continue a word, a path, a format field or a home/variable path.
_LEFT = r"(?<![\w./~$@{}%:\\-])"
_ANCHOR = r"(?:#[\w-]+)?"
_MD_MENTION = re.compile(_LEFT + r"((?:\.\.?/)?(?:[\w.*-]+/)*[\w.*-]*[\w*]\.md" + _ANCHOR + r")(?![\w/])")
_RELATIVE = re.compile(_LEFT + r"(\.\.?/[\w./*-]*[\w/*])")
# A path component that is an upper-case word (``NAME.png``, ``NN_name.py``) marks a template, not a file.
_PLACEHOLDER = re.compile(r"(?:^|[/._-])[A-Z]{2,}(?=$|[/._-])")
_MD_LINK = re.compile(r"\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation but ``-`` and ``_`` dropped, spaces to ``-``.

    Inline markup (backticks, emphasis, ``$`` of math) is punctuation and disappears with it.
    """
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def headings(markdown: str) -> set[str]:
    """Anchors of every heading of a markdown text (outside fenced code), duplicates numbered ``-1``, ``-2``, ..."""
    seen: dict[str, int] = {}
    out = set()
    fence = None
    for line in markdown.splitlines():
        m = _FENCE.match(line)
        if m:
            marker = m.group(1)[0]
            fence = None if fence == marker else (marker if fence is None else fence)
            continue
        if fence:
            continue
        h = _HEADING.match(line)
        if h:
            base = slug(h.group(2))
            n = seen.get(base, 0)
            seen[base] = n + 1
            out.add(base if n == 0 else f"{base}-{n}")
    return out


def repository_files(root: Path) -> tuple[list[str], bool]:
    """Paths (relative, ``/``-separated) of the repository's files, and whether git listed them.

    With git: tracked files and new files that are not ignored (what a commit would hold).
    Without git (an exported tree): every file, except environments and build products.
    """
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root, capture_output=True, check=True,
        ).stdout.decode()
        if (root / ".git").exists():
            return sorted(n for n in set(out.split("\0")) if n and (root / n).is_file()), True
    except (OSError, subprocess.CalledProcessError):
        pass
    names = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info")]
        names += [Path(os.path.relpath(os.path.join(dirpath, f), root)).as_posix() for f in filenames]
    return sorted(names), False


def top_level_dirs(names: list[str]) -> list[str]:
    """The repository's top-level directories (``sims``, ``docs``, ...)."""
    return sorted({n.split("/")[0] for n in names if "/" in n})


class Resolver:
    """Answers whether a referenced path (and anchor) is in the repository, relative to a citing file or the root.

    "In the repository" means one of its files (:func:`repository_files`) or a directory holding
    some; a path git ignores (``.venv``, ``build/``) is generated output, not a missing file.
    """

    def __init__(self, root: Path):
        self.root = root.resolve()
        names, self.git = repository_files(self.root)
        self.names = names
        self.known = {self.root}
        for n in names:
            path = self.root / n
            self.known.add(path)
            self.known.update(p for p in path.parents if self.root in p.parents or p == self.root)
        self._anchors: dict[Path, set[str]] = {}

    def anchors(self, path: Path) -> set[str]:
        if path not in self._anchors:
            self._anchors[path] = headings(path.read_text(encoding="utf-8"))
        return self._anchors[path]

    def _ignored(self, path: Path) -> bool:
        """Whether git ignores ``path`` (generated output); without git, by the root ``.gitignore``'s patterns."""
        if self.git:
            return subprocess.run(["git", "check-ignore", "-q", "--no-index", str(path)], cwd=self.root).returncode == 0
        ignore = self.root / ".gitignore"
        patterns = ignore.read_text().split() if ignore.is_file() else []
        parts = path.relative_to(self.root).parts
        return any(fnmatch.fnmatch(part, pat.strip("/")) for pat in patterns if not pat.startswith(("#", "!")) for part in parts)

    def find(self, target: str, base: Path, root_too: bool) -> Path | None:
        """The repository file or directory ``target`` names (a glob: its first match), or None."""
        for start in (base, self.root) if root_too else (base,):
            if "*" in target:
                candidates = sorted(p.resolve() for p in start.glob(target))
            else:
                candidates = [Path(os.path.normpath(start / target))]
            for candidate in candidates:
                if candidate in self.known or (self.root in candidate.parents and self._ignored(candidate)):
                    return candidate
        return None

    def problem(self, ref: str, citing: Path, root_too: bool = True) -> str | None:
        """Why ``ref`` (``path``, ``path#anchor`` or ``#anchor``) does not resolve, or None."""
        target, _, anchor = ref.partition("#")
        if target:
            found = self.find(target, citing.parent, root_too)
            if found is None:
                if _PLACEHOLDER.search(target):
                    return None  # a template such as figures/NAME.png
                return "no such file in the repository"
        else:
            found = citing
        if anchor:
            if found.suffix != ".md" or not found.is_file():
                return "an anchor into a file that is not a markdown page"
            if anchor not in self.anchors(found):
                return f"no heading with anchor #{anchor} in {found.relative_to(self.root)}"
        return None


def bad_references(text: str, citing: Path, resolver: Resolver, top_dirs: list[str]) -> list[tuple[int, str, str]]:
    """``(line, reference, why)`` for every reference of ``text`` that leaves or misses the repository."""
    problems = []
    under_top = re.compile(_LEFT + r"((?:" + "|".join(map(re.escape, top_dirs)) + r")/[\w./*-]*[\w/*]" + _ANCHOR + r")(?![\w/])") if top_dirs else None
    for lineno, line in enumerate(text.splitlines(), 1):
        for m in _OUTSIDE.finditer(line):
            problems.append((lineno, m.group(0), "points outside the repository"))
        plain = _URL.sub(lambda m: " " * len(m.group(0)), line)
        refs = {m.group(1) for m in _MD_MENTION.finditer(plain)} | {m.group(1) for m in _RELATIVE.finditer(plain)}
        if under_top is not None:
            refs |= {m.group(1) for m in under_top.finditer(plain)}
        for ref in sorted(refs):
            if _OUTSIDE.search(ref):
                continue  # reported above
            why = resolver.problem(ref, citing)
            if why:
                problems.append((lineno, ref, why))
        if citing.suffix == ".md":
            for m in _MD_LINK.finditer(plain):
                target = m.group(1)
                if re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
                    continue  # a URL or mailto:
                why = resolver.problem(target, citing, root_too=False)
                if why:
                    problems.append((lineno, f"({target})", why))
    return problems


def scan(root: Path) -> list[str]:
    """Every bad reference under ``root``, as ``path:line: reference: why``."""
    resolver = Resolver(root)
    top = top_level_dirs(resolver.names)
    out = []
    for name in resolver.names:
        if not name.endswith(SUFFIXES) or name == _THIS:
            continue  # this file spells the patterns it looks for
        path = resolver.root / name
        for lineno, ref, why in bad_references(path.read_text(encoding="utf-8"), path, resolver, top):
            out.append(f"{name}:{lineno}: {ref}: {why}")
    return out


# ----------------------------------------------------------------------------- the repository


def test_every_reference_resolves_inside_the_repository():
    problems = scan(ROOT)
    assert not problems, "references to files or sections that are not in the repository:\n" + "\n".join(problems)


def test_the_documentation_exists_and_is_indexed():
    for page in ("README.md", "mathematics.md", "design.md"):
        assert (ROOT / "docs" / page).is_file()
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    assert "(mathematics.md)" in index and "(design.md)" in index


# ----------------------------------------------------------------------------- the checker can fail

# Spelled in pieces so that this file does not contain the references it must reject.
_MD = ".md"
_SHARED = ".." + "/shared"


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    """A small repository (no git: walked) with a page, a package module and a nested page."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text("# Guide\n\n## Noise laws\n\n## Noise laws\n\n```\n# not a heading\n```\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text('"""Module."""\n')
    return tmp_path


def _problems(tree: Path, name: str, text: str) -> list[str]:
    path = tree / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return scan(tree)


@pytest.mark.parametrize(
    "text",
    [
        "Conventions (``" + _SHARED + "/reference/theory" + _MD + "`` section 7)",  # the original references
        "see theory" + _MD + " section 5, pre-asymptotic regimes",
        "the sampler barely beats NumPy (``shared/reference/engineering" + _MD + "``)",
        "notes in /work/" + "shared/seeds",
        "docs/missing" + _MD,
        "see docs/guide" + _MD + "#no-such-section",
        "see docs/guide" + _MD + "#not-a-heading",  # inside a code fence
        "pkg/missing.py holds it",
        "every pkg/*.txt file",
        "../elsewhere/file.py",
    ],
)
def test_a_bad_reference_in_a_module_fails(tree: Path, text: str):
    problems = _problems(tree, "pkg/bad.py", f'"""{text}."""\n')
    assert problems and all(p.startswith("pkg/bad.py:1:") for p in problems), problems


@pytest.mark.parametrize(
    "text",
    ["[the guide](missing" + _MD + ")", "[noise](guide" + _MD + "#noise)", "[here](#nowhere)", "[mod](pkg/mod.py)"],
)
def test_a_bad_markdown_link_fails(tree: Path, text: str):
    # links resolve relative to the page: from docs/, pkg/mod.py is docs/pkg/mod.py, which does not exist
    problems = _problems(tree, "docs/page.md", f"# Page\n\n{text}\n")
    assert problems and all(p.startswith("docs/page.md:3:") for p in problems), problems


@pytest.mark.parametrize(
    "name, text",
    [
        ("pkg/good.py", '"""See docs/guide.md#noise-laws, docs/guide.md#noise-laws-1 and pkg/mod.py."""\n'),
        ("pkg/good.py", '"""Checked in ``pkg/`` and ./mod.py; cached in ~/.cache/x/y.md; https://example.org/theory.md."""\n'),
        ("pkg/good.py", '"""Globs and templates: pkg/*.py, docs/*.md, pkg/NN_name.py, docs/NAME.md."""\n'),
        ("docs/page.md", "# Page\n\n[guide](guide.md), [laws](guide.md#noise-laws), [top](#page), [mod](../pkg/mod.py)\n"),
        ("docs/page.md", "# Page\n\n[a site](https://example.org/a.md) and <mailto:x@example.org>\n"),
    ],
)
def test_good_references_pass(tree: Path, name: str, text: str):
    assert _problems(tree, name, text) == []


def test_slug_follows_github():
    assert slug("Deterministic theorems (ICLR20)") == "deterministic-theorems-iclr20"
    assert slug("Theorem 4: fixed-step GD lower bound") == "theorem-4-fixed-step-gd-lower-bound"
    assert slug("Local Lipschitz lemma and descent model") == "local-lipschitz-lemma-and-descent-model"
    assert slug("`sims.noise` and $\\alpha$") == "simsnoise-and-alpha"
