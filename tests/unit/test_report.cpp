// The report document tree (core/src/report.cpp: DocTree) as writers see it through the SDK's Doc view.
#include <doctest/doctest.h>

#include <modelmeter/core/report.hpp>
#include <modelmeter/sdk.hpp>

using namespace modelmeter::core;

TEST_CASE("DocTree freezes into the mm_doc view with keys in insertion order") {
  DocTree t;
  auto* root = t.root();
  t.set_int(root, "schema_version", 1);
  auto* s = t.object(root, "summary");
  t.set(s, "ttft_s", 0.25);
  t.set(s, "fits", true);
  t.set_null(s, "tpot_s");
  auto* arr = t.array(root, "names");
  t.push(arr, "a");
  t.push(arr, "b");
  const modelmeter::Doc d(t.freeze());
  REQUIRE(d.type() == MM_DOC_OBJECT);
  CHECK(d.size() == 3);
  CHECK(d.key(0) == "schema_version");
  CHECK(d["schema_version"].as_int() == 1);
  CHECK(d.path("summary.ttft_s").as_number() == 0.25);
  CHECK(d.path("summary.fits").as_bool());
  CHECK(d.path("summary.tpot_s").type() == MM_DOC_NULL);
  CHECK_FALSE(d.path("summary.missing").valid());
  CHECK(d["names"].size() == 2);
  CHECK(d["names"].at(1).as_string() == "b");
}
