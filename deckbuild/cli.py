"""The command line: `python build.py`, `python -m deckbuild` and `deckbuild` all run these commands.

Each command turns its options into a Project and calls one function of the library;
what is decided (what is safe, what to warn about) is decided there, not here.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from . import __version__, changes, json_schema, release
from .errors import BuildError, display_path
from .importing import import_file
from .pipeline import Build, prepare
from .pipeline import build as build_deck
from .preview import write_preview
from .project import Project
from .upgrade import check_upgrade as run_check_upgrade

source_option = click.option(
    "--source", "source_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("source"),
    show_default=True, help="Directory with deck.yaml and the entry files.")
templates_option = click.option(
    "--templates", "templates_dir", type=click.Path(file_okay=False, path_type=Path),
    default=Path("templates"), show_default=True, help="Directory with the card templates and CSS.")

strict_option = click.option("--strict", is_flag=True, help=(
    "Treat warnings (a likely renamed entry, a card that would go blank, an example without its term, two cards "
    "asking the same, Chinese in the other script, a plural-only noun without number: plural) as problems."))
edition_option = click.option(
    "--edition", default="", metavar="CODE",
    help="An edition declared under `variants:` in deck.yaml, such as zh-CN [default: the deck as written].")
out_option = click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("dist"),
    show_default=True, help="Directory to write to.")


class ProgressBar:
    """A progress bar per stage of a long build, on a terminal only: quiet in CI, pipes and files."""

    def __init__(self) -> None:
        self.shown = sys.stderr.isatty() and not os.environ.get("CI")
        self.stage, self.bar = None, None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.shown:
            return
        if stage != self.stage:
            self.close()
            self.stage, self.bar = stage, click.progressbar(length=total, label=stage, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def report_warnings(result: Build) -> None:
    for warning in sorted(result.warnings, key=lambda problem: problem[:3]):  # in the order of the files
        click.echo(str(warning), err=True)


class WarningEcho(logging.Handler):
    """Shows the library's logged warnings (a cache it could not write) on stderr, one line each."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"warning: {record.getMessage()}", err=True)


class Commands(click.Group):
    """The commands; an error of the system (a full disk, an unreadable folder) ends in one line, not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except OSError as error:
            where = f": {error.filename}" if error.filename else ""
            raise BuildError(f"{error.strerror or error}{where}") from error


_log = logging.getLogger(__package__)
if not any(isinstance(handler, WarningEcho) for handler in _log.handlers):
    _log.addHandler(WarningEcho(logging.WARNING))
    _log.propagate = False


@click.group(cls=Commands)
@click.version_option(__version__, prog_name="deckbuild")
def cli() -> None:
    """Build an Anki deck of French vocabulary from the YAML entries in source/."""


@cli.command()
@source_option
@templates_option
@out_option
@click.option("--locked", is_flag=True,
              help="Fail instead of updating source/deck.lock or an edition's lock (for CI and releases).")
@strict_option
@click.option("--audio/--no-audio", default=None,
              help="Record terms and examples with espeak-ng instead of Anki's own voices [default: deck.yaml's "
                   "`audio`, else no].")
@click.option("--edition", default=None, metavar="CODE",
              help="Write only this edition's package and lock: a code of `variants:` in deck.yaml, or '' for the "
                   "deck as written [default: every edition].")
def build(source_dir: Path, templates_dir: Path, out_dir: Path, locked: bool, strict: bool,
          audio: bool | None, edition: str | None) -> None:
    """Validate the sources and write dist/<slug>-<version>.apkg, and one package per edition in `variants:`."""
    progress = ProgressBar()
    try:
        packages, result = build_deck(Project(source_dir, templates_dir, out_dir), locked=locked, audio=audio,
                                      strict=strict, progress=progress, edition=edition)
    finally:
        progress.close()
    if result is not None:
        report_warnings(result)
    for package in packages:
        click.echo(f"up to date: {package}" if result is None else f"wrote {package}")


@cli.command()
@source_option
@templates_option
@strict_option
def validate(source_dir: Path, templates_dir: Path, strict: bool) -> None:
    """Check the sources and templates without writing anything."""
    result = prepare(Project(source_dir, templates_dir), audio=False, strict=strict, use_cache=False)
    report_warnings(result)
    click.echo(f"ok: {result.entry_count} entries in {result.manifest.name} {result.manifest.version}")
    for edition in result.editions:
        click.echo(f"ok: edition {edition.manifest.edition}, {edition.manifest.name}")


@cli.command()
@source_option
@templates_option
@out_option
@edition_option
def preview(source_dir: Path, templates_dir: Path, out_dir: Path, edition: str) -> None:
    """Render every card, light and night, as Anki does, into dist/preview/ (needs `anki`)."""
    project = Project(source_dir, templates_dir, out_dir)
    result = prepare(project)
    report_warnings(result)
    click.echo(f"wrote {write_preview(result.edition(edition), project)}")


@cli.command("check-upgrade")
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--merge-note-types/--no-merge-note-types", default=None,
              help="Import NEW with \"Merge note types\" and \"Update notes\": Always, as learners are told to for a "
                   "new major version, or with the default options [default: merge when the note type changed].")
@source_option
@templates_option
@out_option
@edition_option
def check_upgrade(old: Path | None, new: Path | None, merge_note_types: bool | None, source_dir: Path,
                  templates_dir: Path, out_dir: Path, edition: str) -> None:
    """Show what a learner with OLD.apkg gets by importing NEW.apkg, using the real Anki engine.

    Without OLD and NEW: the last release (from dist/previous/, or rebuilt from its tag) and the current build,
    of the deck or of its --edition.
    """
    if (old is None) != (new is None):
        raise click.UsageError("give both OLD and NEW, or neither (the last release and the current build)")
    if old is None:
        old, new = release.upgrade_from_last_release(Project(source_dir, templates_dir, out_dir), edition)
    upgrade = run_check_upgrade(old, new, merge_note_types)
    for warning in upgrade.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"importing {new} over {old}:\n{upgrade.summary()}")
    upgrade.require_safe()


@cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--to", "to", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The reading file to write, such as source/vocabulaire.yaml.")
@click.option("--map", "maps", multiple=True, metavar="FIELD=KEY",
              help="Put a field (or column) into an entry key, such as Front=term; - leaves it out. Repeatable.")
@click.option("--media", "media_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where the pictures and sounds of a text export are (Anki's collection.media folder) "
                   "[default: beside FILE].")
@click.option("--force", is_flag=True, help="Replace the reading file if it exists.")
@source_option
def import_(file: Path, to: Path, maps: tuple[str, ...], media_dir: Path | None, force: bool,
            source_dir: Path) -> None:
    """Turn an Anki package, Anki's "Notes in Plain Text" or a CSV/TSV into a reading file, keeping every GUID."""
    imported = import_file(file, to, list(maps), source_dir, force, media_dir)
    for guess in imported.guessed:
        click.echo(f"guessed: {guess} (--map to say otherwise)", err=True)
    for name in imported.left_out:
        click.echo(f"warning: field '{name}' has text but no entry key takes it: left out (--map '{name}=notes' "
                   "keeps it)", err=True)
    for line in imported.learners:
        click.echo(("" if imported.reviews_kept else "warning: ") + line, err=True)
    for warning in imported.warnings:
        click.echo(f"warning: {warning}", err=True)
    for problem in imported.to_fill:
        click.echo(str(problem), err=True)
    click.echo(f"wrote {imported.path}: {imported.entries} entries, {imported.media} media files")
    if imported.to_fill:
        click.echo(f"{len(imported.to_fill)} things to fill in above before it builds", err=True)


@cli.command()
@click.argument("old")
@click.argument("new", required=False)
@source_option
@edition_option
def changelog(old: str, new: str | None, source_dir: Path, edition: str) -> None:
    """Print in Markdown what changed from OLD to NEW (default: the sources): a git ref, .apkg or source directory."""
    project = Project(source_dir)
    before = release.load_snapshot(old, project, edition)
    after = release.load_snapshot(new or str(source_dir), project, edition)
    click.echo(changes.changelog(before, after).rstrip())


@cli.command()
@click.argument("version")
@source_option
@templates_option
@out_option
@click.option("--changelog", "changelog_path", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("CHANGELOG.md"), show_default=True, help="The changelog to add the release notes to.")
def bump(version: str, source_dir: Path, templates_dir: Path, out_dir: Path, changelog_path: Path) -> None:
    """Make VERSION the next release: deck.yaml, the locks and the changelogs (every edition's), checked."""
    sections = release.bump(Project(source_dir, templates_dir, out_dir), version, changelog_path)
    for index, (path, section) in enumerate(sections):
        click.echo((f"\n{path}:\n" if index else "") + section.rstrip())
    changelogs = " and ".join(str(path) for path, _ in sections)
    click.echo(f"\nnext: commit source/ and {changelogs}, then tag v{version} and push the tag")


@cli.command("release-check")
@source_option
@templates_option
@out_option
@click.option("--tag", help="The tag being released (vX.Y.Z); it must match the version.")
@click.option("--previous", type=click.Path(dir_okay=False, path_type=Path), multiple=True,
              help="The last release's .apkg, once per edition, found by name (default: rebuilt from its git tag).")
def release_check(source_dir: Path, templates_dir: Path, out_dir: Path, tag: str | None,
                  previous: tuple[Path, ...]) -> None:
    """Check that this commit can be released and lay the release out, every edition, in dist/release/."""
    click.echo(release.release_check(Project(source_dir, templates_dir, out_dir), tag, list(previous)))


@cli.command()
@click.option("--check", is_flag=True, help="Only check that the files are up to date; fail if one is not (for CI).")
def schema(check: bool) -> None:
    """Write the JSON Schemas of deck.yaml and the reading files, for editors, into deckbuild/schemas/."""
    if check:
        if stale := json_schema.stale_schemas():
            raise BuildError(f"{', '.join(map(display_path, stale))}: not what the schema in code makes; "
                             "run `make schema`")
        click.echo(f"up to date: {display_path(json_schema.SCHEMA_DIR)}")
        return
    written = json_schema.write_schemas()
    click.echo("\n".join(f"wrote {display_path(path)}" for path in written)
               or f"up to date: {display_path(json_schema.SCHEMA_DIR)}")
