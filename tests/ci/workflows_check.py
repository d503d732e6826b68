#!/usr/bin/env python3
"""Structural checks of the workflow files beyond what a linter knows:
ci.yml covers gcc/clang x release/sanitizers, one job per arch label that
CTest really has, and the KUnit sets the tests know; the reusable workflow
is a workflow_call whose matrix options are modbed matrix options (from
`modbed --help`); docs/ci.md's example calls it with inputs it declares.

usage: workflows_check.py REPO_ROOT MODBED CTEST_LABELS_FILE
"""
import re
import subprocess
import sys

import yaml


def on_of(doc):
    return doc.get("on", doc.get(True))   # YAML 1.1 reads a bare `on` as true


def fail(msg):
    sys.exit("FAIL: " + msg)


root, modbed, labels_file = sys.argv[1:4]
labels = set(open(labels_file).read().split())
ci = yaml.safe_load(open(root + "/.github/workflows/ci.yml"))
m = ci["jobs"]["build-test"]["strategy"]["matrix"]
if sorted(m["compiler"]) != ["clang", "gcc"] or sorted(m["build"]) != ["release", "sanitizers"]:
    fail("build-test matrix is not gcc/clang x release/sanitizers: %s" % m)
flags = {i["build"]: i["cmake_flags"] for i in m["include"]}
if "-DMODBED_SANITIZE=ON" not in flags["sanitizers"]:
    fail("the sanitizers build does not turn sanitizers on")
arches = ci["jobs"]["per-arch"]["strategy"]["matrix"]["arch"]
for a in arches:
    if "arch:" + a not in labels:
        fail("per-arch job for %s, but CTest has no label arch:%s" % (a, a))
if sorted(arches) != sorted(l[5:] for l in labels if l.startswith("arch:")):
    fail("per-arch jobs %s do not cover the arch labels" % arches)
kunit_sets = {i["set"] for i in ci["jobs"]["kunit"]["strategy"]["matrix"]["include"]}
cmake = open(root + "/tests/kunit/CMakeLists.txt").read()
for s in kunit_sets:
    if '"%s:' % s not in cmake:
        fail("kunit job for set %s, which tests/kunit does not run" % s)
if "kunit" not in labels:
    fail("no kunit label")

reusable = yaml.safe_load(open(root + "/.github/workflows/modbed-matrix.yml"))
call = on_of(reusable).get("workflow_call")
if not call or not call["inputs"]["modules"]["required"]:
    fail("modbed-matrix.yml is not a workflow_call with a required `modules` input")
help_text = subprocess.run([modbed, "--help"], capture_output=True, text=True).stdout
script = "\n".join(s.get("run", "") for s in reusable["jobs"]["matrix"]["steps"])
for opt in sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-j)\b", script))):
    if opt not in help_text:
        fail("the reusable workflow passes %s, which modbed does not take" % opt)

doc = open(root + "/docs/ci.md").read()
example = re.search(r"```yaml\n(.*?)```", doc, re.S)
if not example:
    fail("docs/ci.md has no yaml example")
ex = yaml.safe_load(example.group(1))
job = next(iter(ex["jobs"].values()))
if not job["uses"].split("@")[0].endswith(".github/workflows/modbed-matrix.yml"):
    fail("the docs example does not use the reusable workflow")
unknown = set(job["with"]) - set(call["inputs"])
if unknown:
    fail("the docs example passes inputs the workflow lacks: %s" % sorted(unknown))
open(sys.argv[3] + ".example.yml", "w").write(example.group(1))
print("PASS: workflow structure")
