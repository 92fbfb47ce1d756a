"""Fail when a translation catalog is missing, incomplete, fuzzy or out of date.

`python manage.py check_translations` extracts the messages of the code and templates
exactly as `makemessages` does, but into a temporary directory, then checks, for every
language of `settings.LANGUAGES`, that `locale/<lang>/LC_MESSAGES/django.po`:

- holds every message of the code (and no stale message the code no longer uses),
- translates each of them (every plural form too), with no fuzzy entry,
- compiles (`msgfmt --check`: placeholders and plural forms consistent),
- and that the committed `django.mo` is what the `.po` compiles to.

`python manage.py check_translations --update` (or `make messages`) refreshes the catalogs
(`makemessages`, same options) and recompiles the `.mo` files; translate what it added, then
run it again.

Both need GNU gettext (`xgettext`, `msgmerge`, `msgfmt`): `sudo apt-get install gettext`.
"""

from __future__ import annotations

import ast
import contextlib
import gettext
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.management.commands import makemessages

DOMAIN = "django"
# What is not part of the translatable application. The sandbox stays in: it only marks its
# app name; its Chorus Pro-like messages are upstream data and are deliberately not translated.
IGNORE_PATTERNS = ["tests/*", "bench/*", "docs/*", "locale/*", "node_modules/*", "test-output/*"]
MAKEMESSAGES_OPTIONS = {
    "domain": DOMAIN,
    "ignore_patterns": IGNORE_PATTERNS,
    "no_obsolete": True,
    "add_location": "file",
}
PLURAL_FORMS = {
    "fr": "nplurals=2; plural=(n > 1);",
    "en": "nplurals=2; plural=(n != 1);",
}
GETTEXT_PROGRAMS = ("xgettext", "msguniq", "msgmerge", "msgattrib", "msgfmt")
INSTALL_HINT = "GNU gettext is needed: sudo apt-get install gettext (macOS: brew install gettext)."


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    @property
    def label(self) -> str:
        text = self.msgid if len(self.msgid) <= 70 else self.msgid[:67] + "..."
        where = f" ({', '.join(self.references[:2])})" if self.references else ""
        context = f"[{self.msgctxt}] " if self.msgctxt else ""
        return f"{context}{text!r}{where}"


def parse_po(path: Path) -> tuple[dict[str, str], list[Entry]]:
    """The header (as a dict) and the entries of a PO file; obsolete (#~) entries are flagged."""
    entries: list[Entry] = []
    current: dict = {}
    keyword: tuple[str, int | None] | None = None

    def flush() -> None:
        nonlocal current, keyword
        if "msgid" in current:
            entries.append(
                Entry(
                    msgid=current["msgid"],
                    msgctxt=current.get("msgctxt"),
                    msgid_plural=current.get("msgid_plural"),
                    msgstr=current.get("msgstr", {}),
                    flags=current.get("flags", set()),
                    references=current.get("references", []),
                    obsolete=current.get("obsolete", False),
                )
            )
        current, keyword = {}, None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if not line or line.startswith("#"):
                continue
        if not line:
            flush()
            continue
        if line.startswith("#"):
            if "msgid" in current and "msgstr" in current:
                flush()
            if line.startswith("#,"):
                current.setdefault("flags", set()).update(f.strip() for f in line[2:].split(",") if f.strip())
            elif line.startswith("#:"):
                current.setdefault("references", []).extend(line[2:].split())
            continue
        if line.startswith('"'):
            if keyword is None:
                raise CommandError(f"{path}: unexpected string line: {raw!r}")
            _append(current, keyword, ast.literal_eval(line))
            continue
        word, _, rest = line.partition(" ")
        if word in ("msgctxt", "msgid") and "msgstr" in current:
            flush()
        if obsolete:
            current["obsolete"] = True
        if word.startswith("msgstr["):
            keyword = ("msgstr", int(word[7:-1]))
        elif word in ("msgctxt", "msgid", "msgid_plural", "msgstr"):
            keyword = (word, 0 if word == "msgstr" else None)
        else:
            raise CommandError(f"{path}: cannot read line {raw!r}")
        _append(current, keyword, ast.literal_eval(rest.strip()), start=True)
    flush()

    header: dict[str, str] = {}
    if entries and entries[0].msgid == "" and entries[0].msgctxt is None:
        head = entries.pop(0)
        for header_line in head.msgstr.get(0, "").splitlines():
            name, _, value = header_line.partition(":")
            header[name.strip()] = value.strip()
        if "fuzzy" in head.flags:
            header["#fuzzy"] = "yes"
    return header, entries


def _append(current: dict, keyword: tuple[str, int | None], text: str, start: bool = False) -> None:
    name, index = keyword
    if name == "msgstr":
        strings = current.setdefault("msgstr", {})
        strings[index] = (strings.get(index, "") if not start else "") + text
    else:
        current[name] = (current.get(name, "") if not start else "") + text


class _BuildFileInTarget(makemessages.BuildFile):
    """A template's preprocessed copy (`x.html.py`) goes to the temporary directory, not next to it."""

    @cached_property
    def work_path(self):
        if not self.is_templatized:
            return self.path
        return os.path.normpath(
            os.path.join(self.command.target, "work", self.path, os.pardir, f"{self.translatable.file}.py")
        )

    def preprocess(self):
        if self.is_templatized:
            os.makedirs(os.path.dirname(self.work_path), exist_ok=True)
        super().preprocess()

    def postprocess_messages(self, msgs):
        if not self.is_templatized:
            return msgs
        return msgs.replace(self.work_path, os.path.normpath(self.path))


class _Extractor(makemessages.Command):
    """`makemessages` writing its template (.pot) into a temporary directory, not into locale/."""

    build_file_class = _BuildFileInTarget
    target: str = ""

    def find_files(self, root):
        files = super().find_files(root)
        for translatable in files:
            translatable.locale_dir = self.target
        self.locale_paths = [self.target]
        return files


def missing_programs() -> list[str]:
    return [program for program in GETTEXT_PROGRAMS if shutil.which(program) is None]


def locale_dir() -> Path:
    return Path(settings.LOCALE_PATHS[0])


def extract_messages() -> list[Entry]:
    """Every message the code and the templates mark for translation, as makemessages sees them."""
    with tempfile.TemporaryDirectory(prefix="chorusweb-messages-") as tmp, contextlib.chdir(settings.BASE_DIR):
        extractor = _Extractor()
        extractor.target = tmp
        call_command(extractor, locale=["en"], keep_pot=True, verbosity=0, **MAKEMESSAGES_OPTIONS)
        pot = Path(tmp) / f"{DOMAIN}.pot"
        if not pot.exists():
            return []
        return parse_po(pot)[1]


def compile_po(po: Path, mo: Path) -> str | None:
    """Compile with msgfmt --check; the error text, or None when it compiled."""
    result = subprocess.run(  # noqa: S603 - fixed program, paths we built
        ["msgfmt", "--check", "-o", str(mo), str(po)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        return result.stderr.strip() or "msgfmt failed"
    return None


def read_mo(path: Path) -> dict:
    with path.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)


def check_language(language: str, code_entries: list[Entry]) -> list[str]:
    po = locale_dir() / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if not po.exists():
        return [f"{po} is missing: run `make messages`, then translate it."]
    problems: list[str] = []
    header, entries = parse_po(po)
    if header.get("#fuzzy"):
        problems.append(f"{po}: the header is marked fuzzy (remove '#, fuzzy' above it).")
    if header.get("Language") != language:
        problems.append(f"{po}: header 'Language' should be {language!r}, not {header.get('Language')!r}.")
    expected_plural = PLURAL_FORMS.get(language)
    if expected_plural and header.get("Plural-Forms") != expected_plural:
        problems.append(f"{po}: header 'Plural-Forms' should be {expected_plural!r}.")
    nplurals = 2
    if expected_plural:
        nplurals = int(expected_plural.split(";")[0].split("=")[1])

    active = {entry.key: entry for entry in entries if not entry.obsolete}
    for wanted in code_entries:
        entry = active.get(wanted.key)
        if entry is None:
            problems.append(f"{language}: missing {wanted.label}")
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"{language}: fuzzy {entry.label}")
        if (entry.msgid_plural or None) != (wanted.msgid_plural or None):
            problems.append(f"{language}: plural form changed for {wanted.label}")
        forms = range(nplurals) if wanted.msgid_plural else range(1)
        if any(not entry.msgstr.get(index) for index in forms):
            problems.append(f"{language}: untranslated {entry.label}")
    code_keys = {wanted.key for wanted in code_entries}
    for key, entry in active.items():
        if key not in code_keys:
            problems.append(f"{language}: stale {entry.label} is no longer in the code")

    with tempfile.TemporaryDirectory(prefix="chorusweb-mo-") as tmp:
        fresh = Path(tmp) / f"{DOMAIN}.mo"
        error = compile_po(po, fresh)
        if error:
            problems.append(f"{po} does not compile:\n{error}")
        elif not mo.exists():
            problems.append(f"{mo} is missing: run `make messages` (or compilemessages).")
        elif read_mo(mo) != read_mo(fresh):
            problems.append(f"{mo} is out of date with its .po: run `make messages` (or compilemessages).")
    return problems


class Command(BaseCommand):
    help = (
        "Check that every message is translated (not fuzzy) in each language of LANGUAGES and that "
        "the .mo files are up to date; --update refreshes the catalogs and recompiles them."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--update",
            action="store_true",
            help="Run makemessages for every language (same options as the check) and recompile the .mo files.",
        )

    def handle(self, *args, **options):
        missing = missing_programs()
        if missing:
            raise CommandError(f"{', '.join(missing)} not found. {INSTALL_HINT}")
        languages = [code for code, _name in settings.LANGUAGES]
        if options["update"]:
            self.update(languages, options["verbosity"])
            return
        code_entries = extract_messages()
        problems: list[str] = []
        for language in languages:
            problems.extend(check_language(language, code_entries))
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(
                f"{len(problems)} translation problem(s). Run `make messages`, translate the new or "
                f"changed entries in {locale_dir()}/<lang>/LC_MESSAGES/{DOMAIN}.po (no fuzzy entry), "
                "then run `make messages` again to recompile."
            )
        if options["verbosity"]:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Translations complete: {len(code_entries)} messages in {', '.join(languages)}; .mo up to date."
                )
            )

    def update(self, languages: list[str], verbosity: int) -> None:
        with contextlib.chdir(settings.BASE_DIR):
            call_command("makemessages", locale=languages, verbosity=verbosity, **MAKEMESSAGES_OPTIONS)
        for language in languages:
            po = locale_dir() / language / "LC_MESSAGES" / f"{DOMAIN}.po"
            error = compile_po(po, po.with_suffix(".mo"))
            if error:
                raise CommandError(f"{po} does not compile:\n{error}")
            if verbosity:
                self.stdout.write(f"compiled {po.with_suffix('.mo')}")
