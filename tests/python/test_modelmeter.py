"""The Python module against the same figures the C++ tests hold, and against the command line's own output.

Run by CTest (tests/CMakeLists.txt: python_module) with PYTHONPATH=<build>/python, MM_TEST_HOST = the modelmeter
executable and MM_TEST_SOURCE_DIR = the source tree.
"""
import csv
import json
import os
import pathlib
import subprocess
import threading
import time

import pytest

import modelmeter

HOST = os.environ["MM_TEST_HOST"]
SOURCE = pathlib.Path(os.environ["MM_TEST_SOURCE_DIR"])


def cli(*args, cwd=None):
    p = subprocess.run([HOST, *args], capture_output=True, text=True, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


def cli_report(tmp_path, *args):
    out = tmp_path / "cli-out"
    rc, _, err = cli("run", *args, "--format", "json", "--out", str(out))
    assert rc == 0, err
    return json.loads((out / "report.json").read_text())


# --- run: the same figures as tests/cli -----------------------------------------------------------------------

def test_deepseek_ocr_std_v1_figures():
    s = modelmeter.run("deepseek_ocr", workload="std-v1").summary
    assert s["parameters"] == 3336106240  # the spec's table, LM head included
    assert (s["vision_tokens"], s["prefill_tokens"], s["decode_steps"]) == (903, 913, 511)
    assert s["memory"]["kv_cache_bytes"] == 12.0 * 2 * 10 * 128 * 1424 * 2
    assert s["memory"]["weights_bytes"] == 2.0 * 3336106240
    assert s["memory"]["fits"] is True
    assert s["hardware"] == "h100-sxm"  # the command line's default hardware
    assert s["ttft_s"] == pytest.approx(s["stages"]["vision"]["time_s"] + s["stages"]["prefill"]["time_s"])
    assert s["tpot_s"] == pytest.approx(s["stages"]["decode"]["time_s"] / 511)


def test_example_stage_flops_equal_the_hand_derivation():
    s = modelmeter.run("example_transformer", workload="example").summary
    assert s["parameters"] == 17960704
    assert s["stages"]["prefill"]["tc_flops"] == 435945472.0
    assert s["stages"]["decode"]["tc_flops"] == 31.0 * 19529728.0 + 9142272.0
    assert s["memory"]["kv_cache_bytes"] == 2.0 * 4 * 159 * 128 * 2
    assert "vision" not in s["stages"]  # a stage not run is absent, as in report.json


def test_hf_decoder_llama_parameters():
    r = modelmeter.run("hf_decoder", model="llama-2-7b", workload="llm-1024")
    assert r.summary["parameters"] == 6738415616
    assert r.model == "llama-2-7b"


@pytest.mark.parametrize("args, kwargs", [
    (["--plugin", "deepseek_ocr", "--workload", "std-v1"], dict(plugin="deepseek_ocr", workload="std-v1")),
    (["--plugin", "deepseek_ocr", "--workload", "std-v1", "--hardware", "a100-80g", "--set", "batch.size=8",
      "--set", "precision.weights=int4"],
     dict(plugin="deepseek_ocr", workload="std-v1", hardware="a100-80g",
          set={"batch.size": 8, "precision.weights": "int4"})),
    (["--plugin", "deepseek_ocr", "--workload", "text-only", "--model", "deepseek-ocr-mla"],
     dict(plugin="deepseek_ocr", workload="text-only", model="deepseek-ocr-mla")),
    (["--plugin", "hf_decoder", "--model", "mixtral-8x7b", "--workload", "llm-batch", "--hardware", "h200"],
     dict(plugin="hf_decoder", workload="llm-batch", model="mixtral-8x7b", hardware="h200")),
])
def test_summary_equals_the_cli_report_json(tmp_path, args, kwargs):
    expected = cli_report(tmp_path, *args)
    plugin = kwargs.pop("plugin")
    r = modelmeter.run(plugin, **kwargs)
    assert r.summary == expected["summary"]  # nested dicts, value for value
    # The whole document too, apart from nothing: same tool, plugin, config, stages, modules, layers.
    assert r.to_dict() == expected
    assert json.loads(r.to_json()) == expected


def test_to_json_is_report_json_byte_for_byte(tmp_path):
    out = tmp_path / "cli"
    rc, _, err = cli("run", "--plugin", "deepseek_ocr", "--workload", "std-v1", "--format", "json", "--out", str(out))
    assert rc == 0, err
    assert modelmeter.run("deepseek_ocr", workload="std-v1").to_json() == (out / "report.json").read_text()


def test_stages_and_module_tree():
    r = modelmeter.run("deepseek_ocr", workload="std-v1")
    assert list(r.stages) == ["vision", "prefill", "decode"]
    assert r.stages["prefill"]["totals"]["forward"]["tc_flops"] == r.summary["stages"]["prefill"]["tc_flops"]
    root = r.modules["prefill"]
    assert root["id"] == "model"
    assert root["forward"]["tc_flops"] == r.summary["stages"]["prefill"]["tc_flops"]  # the root is the stage total

    def ids(node):
        yield node["id"]
        for c in node["children"]:
            yield from ids(c)
    assert "model.layers.{1..11}.mlp.experts" in set(ids(r.modules["prefill"]))
    assert "model.sam_model[tiles]" in set(ids(r.modules["vision"]))


def test_write_through_the_writer_plugins(tmp_path):
    r = modelmeter.run("example_transformer", workload="example")
    written = r.write(tmp_path / "out", formats=["json", "csv", "html"])
    assert sorted(pathlib.Path(p).name for p in written) == ["report.csv", "report.html", "report.json"]
    assert json.loads((tmp_path / "out" / "report.json").read_text())["summary"] == r.summary
    html = r._repr_html_()
    assert html == (tmp_path / "out" / "report.html").read_text()
    assert "17,960,704" in html or "17960704" in html


def test_write_failure_leaves_nothing(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = modelmeter.run("example_transformer", workload="example")
    with pytest.raises(modelmeter.OutputError) as e:
        r.write(blocker / "out", formats="json")
    assert isinstance(e.value, OSError) and e.value.exit_code == 6
    assert blocker.read_text() == "x"


# --- errors: the command line's one-line messages ---------------------------------------------------------------

@pytest.mark.parametrize("args, kwargs, cls, code", [
    (["--plugin", "deepseek_ocr", "--workload", "nope"], dict(plugin="deepseek_ocr", workload="nope"),
     modelmeter.InputError, 3),
    (["--plugin", "deepseek_ocr", "--workload", "std-v1", "--hardware", "tpu"],
     dict(plugin="deepseek_ocr", workload="std-v1", hardware="tpu"), modelmeter.InputError, 3),
    (["--plugin", "deepseek_ocr", "--workload", "std-v1", "--set", "batch.size=0"],
     dict(plugin="deepseek_ocr", workload="std-v1", set={"batch.size": 0}), modelmeter.InputError, 3),
    (["--plugin", "deepseek_ocr", "--workload", "std-v1", "--set", "batch.sise=2"],
     dict(plugin="deepseek_ocr", workload="std-v1", set={"batch.sise": 2}), modelmeter.InputError, 3),
    (["--plugin", "nope", "--workload", "std-v1"], dict(plugin="nope", workload="std-v1"),
     modelmeter.PluginError, 4),
])
def test_errors_carry_the_cli_message(tmp_path, args, kwargs, cls, code):
    rc, _, err = cli("run", *args, "--out", str(tmp_path / "o"))
    assert rc == code
    message = err.strip().removeprefix("modelmeter: error: ")
    plugin = kwargs.pop("plugin")
    with pytest.raises(cls) as e:
        modelmeter.run(plugin, **kwargs)
    assert str(e.value) == message
    assert e.value.exit_code == code
    assert isinstance(e.value, modelmeter.Error)
    if code == 3:
        assert isinstance(e.value, ValueError)
    assert not (tmp_path / "o").exists()


def test_calibration_default_none_and_unknown():
    calibrated = modelmeter.run("deepseek_ocr", workload="std-v1")
    roofline = modelmeter.run("deepseek_ocr", workload="std-v1", calibration="none")
    assert calibrated.summary["time_model"] == "calibrated:h100-sxm"
    assert roofline.summary["time_model"] == "roofline"
    # The roofline is a lower bound of the calibrated time, stage by stage; the calibrated run keeps it too.
    for stage, s in calibrated.summary["stages"].items():
        assert s["roofline_time_s"] == roofline.summary["stages"][stage]["time_s"]
        assert s["time_s"] > s["roofline_time_s"]
    with pytest.raises(modelmeter.InputError, match="unknown calibration 'h100-measured'"):
        modelmeter.run("deepseek_ocr", workload="std-v1", calibration="h100-measured")


# --- sweep -------------------------------------------------------------------------------------------------------

def parse_csv_cell(text):
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return {"true": True, "false": False, "": None}.get(text, text)


def test_sweep_columns_equal_the_cli_sweep_csv(tmp_path):
    out = tmp_path / "sweep"
    rc, _, err = cli("sweep", "--plugin", "deepseek_ocr", "--workload", "std-v1", "--vary",
                     "decode.max_new_tokens=256:1024:256", "--vary", "batch.size=1,8,4096", "--hardware",
                     "h100-sxm,l40s", "--out", str(out))
    assert rc == 0, err
    with open(out / "sweep.csv", newline="") as f:
        rows = list(csv.reader(f))
    s = modelmeter.sweep("deepseek_ocr", workload="std-v1", hardware=["h100-sxm", "l40s"], threads=2,
                         vary={"decode.max_new_tokens": "256:1024:256", "batch.size": [1, 8, 4096]})
    assert s.columns == rows[0]
    assert s.n_rows == len(rows) - 1 == 4 * 3 * 2
    # The last vary varies fastest, the hardware slowest, as on the command line.
    assert s["batch.size"][:4] == [1, 8, 4096, 1] and s["decode.max_new_tokens"][:4] == [256, 256, 256, 512]
    assert s["hardware"][0] == "h100-sxm" and s["hardware"][-1] == "l40s"
    assert False in s["feasible"]  # batch 4096 does not fit
    for name, column in s.items():
        for value, cell in zip(column, (r[rows[0].index(name)] for r in rows[1:])):
            expected = parse_csv_cell(cell)
            if isinstance(value, float) and isinstance(expected, (int, float)):
                assert value == pytest.approx(expected, rel=1e-14), name
            elif name == "reason":
                assert value == cell
            else:
                assert value == expected, name


def test_sweep_shards_concatenate_to_the_whole():
    vary = {"decode.max_new_tokens": range(100, 1100, 100), "batch.size": [1, 2, 3]}
    whole = modelmeter.sweep("deepseek_ocr", workload="std-v1", vary=vary)
    parts = [modelmeter.sweep("deepseek_ocr", workload="std-v1", vary=vary, shard=(k, 4)) for k in range(4)]
    assert [p.n_rows for p in parts] == [8, 8, 7, 7]
    for name in whole:
        assert sum((p[name] for p in parts), []) == whole[name]


def test_sweep_to_pandas():
    pandas = pytest.importorskip("pandas")
    s = modelmeter.sweep("example_transformer", workload="example", vary={"batch.size": [1, 2, 4]})
    df = s.to_pandas()
    assert isinstance(df, pandas.DataFrame)
    assert list(df.columns) == s.columns and len(df) == 3
    assert list(df["batch.size"]) == [1, 2, 4]
    assert df["ttft_s"].iloc[0] == modelmeter.run("example_transformer", workload="example").summary["ttft_s"]


def test_sweep_row_equals_a_run():
    s = modelmeter.sweep("deepseek_ocr", workload="std-v1", vary={"batch.size": [2]}, hardware="h200")
    r = modelmeter.run("deepseek_ocr", workload="std-v1", hardware="h200", set={"batch.size": 2}).summary
    assert s["ttft_s"] == [r["ttft_s"]] and s["tpot_s"] == [r["tpot_s"]]
    assert s["prefill.tc_flops"] == [r["stages"]["prefill"]["tc_flops"]]
    assert s["kv_cache_bytes"] == [r["memory"]["kv_cache_bytes"]]


def test_sweep_errors():
    with pytest.raises(modelmeter.InputError, match="a range is start:stop:step|step"):
        modelmeter.sweep("deepseek_ocr", workload="std-v1", vary={"batch.size": "1:8"})
    with pytest.raises(modelmeter.InputError, match="at least one vary"):
        modelmeter.sweep("deepseek_ocr", workload="std-v1", vary={})
    with pytest.raises(modelmeter.InputError):
        modelmeter.sweep("deepseek_ocr", workload="std-v1", vary={"batch.size": [1]}, shard="4/4")


def test_long_calls_release_the_gil():
    # A Python thread keeps counting while a sweep runs in another: it could not if the sweep held the GIL.
    ticks = []
    done = threading.Event()

    def counter():
        while not done.is_set():
            ticks.append(1)
            time.sleep(0.001)
    t = threading.Thread(target=counter)
    t.start()
    try:
        start = time.perf_counter()
        s = modelmeter.sweep("deepseek_ocr", workload="std-v1", threads=1,
                             vary={"decode.max_new_tokens": "10:2000:10", "batch.size": "1:200:1"})
        elapsed = time.perf_counter() - start
    finally:
        done.set()
        t.join()
    assert s.n_rows == 200 * 200
    # Held, the GIL would allow ~1 tick in all; released, ~1 per ms (a 20th of that on a loaded machine).
    assert len(ticks) > max(5, elapsed * 1000 * 0.05), (len(ticks), elapsed)


# --- list, describe, docs, check_plugin ------------------------------------------------------------------------------

def test_list_matches_the_cli():
    for what in ("workloads", "hardware"):
        rc, out, _ = cli("list", what)
        assert rc == 0 and modelmeter.list(what) == out.split()
    names = [p["name"] for p in modelmeter.list("plugins")]
    assert names == sorted(names) or set(names) >= {"deepseek_ocr", "hf_decoder", "example_transformer"}
    assert {"deepseek_ocr", "hf_decoder", "example_transformer"} <= set(names)
    assert {w["format"] for w in modelmeter.list("writers")} >= {"json", "md", "csv", "html", "yaml"}
    assert "llama-2-7b" in modelmeter.list("models")
    layers = modelmeter.list("layers", plugin="deepseek_ocr")
    assert {"name": "Linear", "category": "matmul", "owner": "core"} in layers
    assert any(c["owner"] == "deepseek_ocr" for c in layers)
    with pytest.raises(modelmeter.InputError, match="unknown list 'nope'"):
        modelmeter.list("nope")


def test_describe():
    d = modelmeter.describe("deepseek_ocr", workload="std-v1")
    assert d["name"] == "deepseek_ocr" and d["parameters"] == 3336106240
    assert list(d["modules"]) == ["vision", "prefill"]
    keys = {k["key"]: k for k in d["keys"]}
    assert keys["batch.size"]["owner"] == "core" and keys["batch.size"]["type"] == "an integer"
    rc, out, _ = cli("describe", "--plugin", "deepseek_ocr", "--workload", "std-v1")
    assert rc == 0 and "3336106240 parameters" in out


def test_docs_and_check_plugin(tmp_path):
    written = modelmeter.docs("example_transformer", tmp_path / "docs")
    assert written and all(pathlib.Path(p).is_file() for p in written)
    info = modelmeter.check_plugin(modelmeter.list("plugins")[0]["path"])
    assert info["kind"] == "model" and info["keys"]
