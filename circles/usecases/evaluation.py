"""Program evaluation for coordinators: the weekly chart's series and the export, for one
named program or all of a workspace's programs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import DomainError
from circles.evaluation import files
from circles.evaluation.export import ExportScope
from circles.evaluation.privacy_threshold import min_respondents
from circles.evaluation.series import ProgramSeries, program_series
from circles.model import Program, Workspace
from circles.usecases.context import Actor
from circles.usecases.programs import programs, resolve_program


def _chosen(session: Session, ws: Workspace, program_name: str) -> list[Program]:
    if program_name:
        return [resolve_program(session, ws, program_name)]
    found = programs(session, ws)
    if not found:
        raise DomainError("no_programs")
    return found


def chart_series(actor: Actor, program_name: str, threshold: int | None = None) -> list[ProgramSeries]:
    """The weekly series of one program, or of every program of the workspace."""
    return [program_series(actor.session, p, threshold)
            for p in _chosen(actor.session, actor.workspace, program_name)]


def scope_for(session: Session, ws: Workspace, program_name: str,
              threshold: int | None = None) -> ExportScope:
    chosen = _chosen(session, ws, program_name)
    return ExportScope(ws.id, tuple(p.id for p in chosen), min_respondents(threshold))


@dataclass(frozen=True)
class ExportFile:
    """The export as one zip: which programs, and how many rows went into each file."""

    programs: list[str]
    data: bytes
    files: list[tuple[str, int]]


def export_zip(actor: Actor, program_name: str, threshold: int | None = None) -> ExportFile:
    scope = scope_for(actor.session, actor.workspace, program_name, threshold)
    names = list(actor.session.scalars(select(Program.name).where(
        Program.workspace_id == actor.workspace.id, Program.id.in_(scope.program_ids)).order_by(Program.name)))
    data, written = files.to_zip(actor.session, scope)
    return ExportFile(names, data, written)


def export_workspace(session: Session, wanted: str = "") -> Workspace:
    """The workspace a command-line export is for: ``wanted`` as ``platform:id`` or just the
    id, or the only workspace there is."""
    all_ws = list(session.scalars(select(Workspace).order_by(Workspace.platform, Workspace.external_id)))
    names = [f"{w.platform}:{w.external_id}" for w in all_ws]
    if wanted:
        for w, name in zip(all_ws, names, strict=True):
            if wanted.lower() in (name.lower(), w.external_id.lower()):
                return w
        raise DomainError("export_workspace_not_found", name=wanted, workspaces=names)
    if len(all_ws) == 1:
        return all_ws[0]
    if not all_ws:
        raise DomainError("export_no_workspaces")
    raise DomainError("export_workspace_ambiguous", workspaces=names)


def write_export(session: Session, ws: Workspace, program_name: str, out: Path,
                 threshold: int | None = None, progress: files.Progress | None = None) -> list[tuple[Path, int]]:
    """The export as CSV files in ``out`` (created if needed)."""
    return files.to_directory(session, scope_for(session, ws, program_name, threshold), out, progress)
