"""ModelMeter from Python: analytic FLOPs, memory traffic, memory and roofline time of neural networks.

The same engine, plugins, configs, messages and report as the ``modelmeter`` command (docs/python.md)::

    import modelmeter
    r = modelmeter.run("deepseek_ocr", workload="std-v1")
    r.summary["ttft_s"]                      # == report.json's summary.ttft_s
    s = modelmeter.sweep("deepseek_ocr", workload="std-v1", vary={"batch.size": [1, 8, 32]})
    s.to_pandas()                            # needs pandas (python3-pandas); the columns are plain lists
"""

import builtins as _builtins
import warnings as _warnings

from . import _modelmeter
from ._modelmeter import Error, InputError, OutputError, PluginError, PluginFailure, Report

__version__ = _modelmeter.__version__
__all__ = [
    "run", "sweep", "list", "describe", "docs", "check_plugin", "Report", "Sweep",
    "Error", "InputError", "PluginError", "PluginFailure", "OutputError", "ModelMeterWarning",
]


class ModelMeterWarning(UserWarning):
    """A run's warning (also in Report.warnings): the command line logs the same lines."""


def _toml(value, top):
    """A Python value as the text `--set key=TEXT` / `--vary key=a,b` would hold: a str at top level is taken
    as the command line takes it (bare words are strings, "[2,2]" is an array); inside a list it is quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        if top:
            return value
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (_builtins.list, tuple)):
        return "[" + ",".join(_toml(v, False) for v in value) + "]"
    raise InputError(f"{value!r}: a value must be a bool, int, float, str or list, not {type(value).__name__}")


def _sets(set):
    if set is None:
        return []
    if not isinstance(set, dict):
        raise InputError(f"set={set!r}: expected a dict of 'section.key': value")
    return [f"{k}={_toml(v, True)}" for k, v in set.items()]


def _list_text(value, name):
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (_builtins.list, tuple)):
        return ",".join(str(v) for v in value)
    raise InputError(f"{name}={value!r}: expected a name or a list of names")


def _dirs(plugin_dirs):
    if plugin_dirs is None:
        return []
    if isinstance(plugin_dirs, (str, bytes)) or not hasattr(plugin_dirs, "__iter__"):
        plugin_dirs = [plugin_dirs]
    return [str(d) for d in plugin_dirs]


def _report_repr(self):
    s = self.summary
    return (f"<modelmeter.Report {self.plugin} model {self.model}, workload {self.workload}, hardware "
            f"{self.hardware}: parameters {s['parameters']}, TTFT {s['ttft_s']:.6g} s, TPOT {s['tpot_s']} s>")


def _report_stages(self):
    """report.json's "stages": per stage its totals, categories, components, per-step figures and module tree."""
    return self.to_dict()["stages"]


def _report_modules(self):
    """The module tree of each stage that runs (report.json's stages.<stage>.modules), by stage name."""
    return {name: stage["modules"] for name, stage in self.to_dict()["stages"].items()}


def _report_to_json(self):
    """report.json's text, made by the json writer plugin (the same bytes `modelmeter run` writes)."""
    return self.render("json")


def _report_write(self, out="modelmeter-out", formats=("json", "md")):
    """Writes the report through the writer plugins into `out`, atomically; returns the paths written."""
    return self._write(str(out), _list_text(formats, "formats"))


def _report_repr_html(self):
    """report.html (the html writer plugin), so a notebook shows the report inline."""
    return self.render("html")


Report.write = _report_write
Report.stages = property(_report_stages)
Report.modules = property(_report_modules)
Report.to_json = _report_to_json
Report._repr_html_ = _report_repr_html
Report.__repr__ = _report_repr


def run(plugin, workload, *, model=None, hardware=None, set=None, calibration=None, plugin_dirs=None):
    """Evaluates `plugin` (a registered name or a path to a .so) on `workload` (a bundled name or a .toml path),
    as `modelmeter run` does. Omitted arguments take the command line's defaults (hardware h100-sxm, the plugin's
    own model). `set` maps workload keys to values: {"batch.size": 8, "precision.weights": "int4"}.

    `calibration` is the command line's `--calibration NAME|FILE|none`; None = the hardware's bundled calibration
    when one exists (docs/calibration.md). Raises InputError (a ValueError), PluginError, PluginFailure, with the command line's message.
    """
    # calibration: None = the hardware's bundled calibration (as the CLI), "none", a bundled name or a path.
    report = _modelmeter.run(str(plugin), str(workload), "" if model is None else str(model),
                             _list_text(hardware, "hardware"), _sets(set), _dirs(plugin_dirs),
                             "" if calibration is None else str(calibration))
    for w in report.warnings:
        _warnings.warn(w, ModelMeterWarning, stacklevel=2)
    return report


class Sweep(dict):
    """A sweep's rows as columns: {column name: list}, in sweep.csv's column order (the varied keys, hardware,
    feasible, reason, token counts, <stage>.tc_flops/io_bytes/time_s, summary figures). None where sweep.csv
    has an empty cell; varied values are typed (int, float, str, bool, list)."""

    def __init__(self, columns, workload, plugin):
        super().__init__(columns)
        self.workload = workload
        self.plugin = plugin

    @property
    def n_rows(self):
        """The number of rows (points); len() of a Sweep is its number of columns, as for any dict."""
        return _builtins.len(next(iter(self.values()), []))

    @property
    def columns(self):
        return _builtins.list(self.keys())

    def rows(self):
        """Each row as a dict (slow for large sweeps; prefer the columns)."""
        names = self.columns
        return [dict(zip(names, values)) for values in zip(*self.values())]

    def to_pandas(self):
        """A pandas DataFrame of the columns (pandas is optional: Debian's python3-pandas)."""
        try:
            import pandas
        except ImportError as e:
            raise ImportError("Sweep.to_pandas() needs pandas (apt-get install python3-pandas); the sweep's "
                              "columns are plain lists without it") from e
        return pandas.DataFrame(dict(self), columns=self.columns)

    def __repr__(self):
        return f"<modelmeter.Sweep {self.plugin} workload {self.workload}: {self.n_rows} rows x {len(self)} columns>"


def sweep(plugin, workload, *, vary, model=None, hardware=None, set=None, threads=0, shard=None,
          calibration=None, plugin_dirs=None):
    """Evaluates the product of the `vary` values, as `modelmeter sweep`: vary={"decode.max_new_tokens":
    "256:8192:256", "batch.size": [1, 8, 32]} (a string is the command line's start:stop:step or a,b,c; a list or
    range gives the values). `hardware` may be a list of profiles (varied slowest). `shard` "K/N" or (K, N)
    evaluates block K of N. `threads` 0 = one per core; the rows are in the same order whatever the count.
    Returns a Sweep (a dict of columns). Ctrl-C stops it and raises KeyboardInterrupt."""
    if not isinstance(vary, dict):
        raise InputError(f"vary={vary!r}: expected a dict of 'section.key': values")
    varies = []
    for key, values in vary.items():
        if isinstance(values, str):
            varies.append(f"{key}={values}")
        elif isinstance(values, (_builtins.list, tuple, range)):
            varies.append(f"{key}=" + ",".join(_toml(v, False) for v in values))
        else:
            raise InputError(f"vary {key}={values!r}: expected 'start:stop:step', 'a,b,c' or a list of values")
    if isinstance(shard, tuple):
        shard = f"{shard[0]}/{shard[1]}"
    if not isinstance(threads, int) or isinstance(threads, bool) or not 0 <= threads <= 1024:
        raise InputError(f"threads={threads!r}: expected an integer from 0 (one per core) to 1024")
    columns, workload_name, plugin_name = _modelmeter.sweep(
        str(plugin), str(workload), "" if model is None else str(model), _list_text(hardware, "hardware"),
        _sets(set), varies, "" if shard is None else str(shard), threads, _dirs(plugin_dirs),
        "" if calibration is None else str(calibration))
    return Sweep(columns, workload_name, plugin_name)


def list(what, *, plugin=None, plugin_dirs=None):
    """`modelmeter list WHAT`: "plugins" and "writers" (dicts: name, version, abi_version_text, path, …),
    "workloads", "hardware", "models" (names), "layers" (dicts: name, category, owner; with `plugin`, its classes
    too)."""
    return _modelmeter.list(str(what), "" if plugin is None else str(plugin), _dirs(plugin_dirs))


def describe(plugin, *, workload=None, model=None, set=None, plugin_dirs=None):
    """`modelmeter describe`: the plugin (name, version, description, path), its layer classes, its workload
    keys (type, allowed, default, owner, help), the parameter count and the one-step stages' module trees."""
    return _modelmeter.describe(str(plugin), "" if workload is None else str(workload),
                                "" if model is None else str(model), _sets(set), _dirs(plugin_dirs))


def docs(plugin, out="modelmeter-docs", *, formats="md", plugin_dirs=None):
    """`modelmeter docs`: one page per layer class into `out`; returns the paths written."""
    return _modelmeter.docs(str(plugin), str(out), _list_text(formats, "formats"), _dirs(plugin_dirs))


def check_plugin(path):
    """`modelmeter check-plugin`: loads the file, checks its ABI and declarations; returns what it registers."""
    return _modelmeter.check_plugin(str(path))
