# Stubs of the public API of the modelmeter package (docs/python.md).
import builtins
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ._modelmeter import Error as Error
from ._modelmeter import InputError as InputError
from ._modelmeter import OutputError as OutputError
from ._modelmeter import PluginError as PluginError
from ._modelmeter import PluginFailure as PluginFailure

__version__: str

_Value = bool | int | float | str | Sequence[Any]
_Names = str | Sequence[str]
_Dirs = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]

class ModelMeterWarning(UserWarning): ...

class Report:
    @property
    def summary(self) -> dict[str, Any]: ...
    @property
    def stages(self) -> dict[str, Any]: ...
    @property
    def modules(self) -> dict[str, Any]: ...
    @property
    def plugin(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def hardware(self) -> str: ...
    @property
    def workload(self) -> str: ...
    @property
    def warnings(self) -> builtins.list[str]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def to_json(self) -> str: ...
    def render(self, format: str) -> str: ...
    def write(self, out: str | os.PathLike[str] = ..., formats: _Names = ...) -> builtins.list[str]: ...
    def _repr_html_(self) -> str: ...

class Sweep(dict[str, builtins.list[Any]]):
    workload: str
    plugin: str
    @property
    def n_rows(self) -> int: ...
    @property
    def columns(self) -> builtins.list[str]: ...
    def rows(self) -> builtins.list[dict[str, Any]]: ...
    def to_pandas(self) -> Any: ...

def run(
    plugin: str | os.PathLike[str],
    workload: str | os.PathLike[str],
    *,
    model: str | os.PathLike[str] | None = ...,
    hardware: str | None = ...,
    set: Mapping[str, _Value] | None = ...,
    calibration: str | None = ...,
    plugin_dirs: _Dirs | None = ...,
) -> Report: ...
def sweep(
    plugin: str | os.PathLike[str],
    workload: str | os.PathLike[str],
    *,
    vary: Mapping[str, str | Sequence[_Value] | range],
    model: str | os.PathLike[str] | None = ...,
    hardware: _Names | None = ...,
    set: Mapping[str, _Value] | None = ...,
    threads: int = ...,
    shard: str | tuple[int, int] | None = ...,
    calibration: str | None = ...,
    plugin_dirs: _Dirs | None = ...,
) -> Sweep: ...
def list(what: str, *, plugin: str | None = ..., plugin_dirs: _Dirs | None = ...) -> builtins.list[Any]: ...
def describe(
    plugin: str | os.PathLike[str],
    *,
    workload: str | None = ...,
    model: str | None = ...,
    set: Mapping[str, _Value] | None = ...,
    plugin_dirs: _Dirs | None = ...,
) -> dict[str, Any]: ...
def docs(
    plugin: str | os.PathLike[str],
    out: str | os.PathLike[str] = ...,
    *,
    formats: _Names = ...,
    plugin_dirs: _Dirs | None = ...,
) -> builtins.list[str]: ...
def check_plugin(path: str | os.PathLike[str]) -> dict[str, Any]: ...
