"""Import/export (.rbts and JSON), the registry's versions: plain functions, no Streamlit."""

from __future__ import annotations

from pathlib import PurePath

from rbts.dsl import json_form
from rbts.dsl.checked import CheckedStrategy
from rbts.dsl.errors import RbtsError
from rbts.dsl.formatter import format_strategy
from rbts.dsl.load import decode, load_strategy, read_text
from rbts.runtime.settings import Settings

MAX_IMPORT_BYTES = 1_000_000


def export_name(checked: CheckedStrategy, suffix: str) -> str:
    from rbts.runtime.live.registry import slugify

    return f"{slugify(checked.settings.name or 'strategy')}{suffix}"


def export_json(checked: CheckedStrategy) -> str:
    """The JSON exchange form (SPEC §2.6) of a checked strategy."""
    return json_form.dumps(checked.strategy, settings=checked.settings)


def import_text(filename: str, data: bytes) -> str:
    """The strategy text of an uploaded .rbts or .json file; RbtsError (with every
    diagnostic) when it is not a valid strategy -- the caller then replaces nothing."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in (".rbts", ".json", ".txt"):
        raise RbtsError(f"{filename}: choose a .rbts or .json file")
    if len(data) > MAX_IMPORT_BYTES:
        raise RbtsError(f"{filename}: the file is larger than {MAX_IMPORT_BYTES // 1000} kB")
    checked = load_strategy(decode(data, filename), filename=filename)
    if checked.origin.form == "json":
        return format_strategy(checked.strategy)
    text = checked.origin.text
    return text if text.endswith("\n") else text + "\n"


def save_version(settings: Settings, checked: CheckedStrategy, text: str):
    """Store the strategy as a new registry version (or return the same one if unchanged)."""
    from rbts.runtime.live.registry import Registry

    registry = Registry(settings.strategies_dir, settings.live_dir)
    return registry.save(checked.settings.name or "strategy", export_json(checked), text)


def versions(settings: Settings) -> list:
    """Every stored version, newest first."""
    from rbts.runtime.live.registry import Registry

    registry = Registry(settings.strategies_dir, settings.live_dir)
    out = [v for slug in registry.strategies() for v in registry.versions(slug)]
    return sorted(out, key=lambda v: v.created, reverse=True)


def version_text(version) -> str:
    """A stored version's text: the .rbts saved with it, else its JSON formatted."""
    source = version.json_path.with_suffix(".rbts")
    if source.exists():
        return read_text(source)
    return format_strategy(json_form.from_json(read_text(version.json_path), str(version.json_path)))
