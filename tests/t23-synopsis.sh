#!/bin/bash
# t23-synopsis.sh — one command line, said alike everywhere: each command's
# synopsis in `monocache CMD --help` (the source) is the one in monocache(1)'s
# SYNOPSIS, in the README's "The command" and in `monocache --help`; every
# option a command's --help describes is in its synopsis, and every option
# its synopsis shows is described. Compared word for word, in any case and
# spacing (the man page's fonts and the help's capitals differ by design).
. "$(dirname "$0")/lib.sh"

PY=$(command -v /usr/bin/python3 || command -v python3)
commands="run ls meta lock unlock holders gc rm push pull preload-path"
for command in $commands; do
    mc "$command" --help > "$T/help.$command"
done
mc --help > "$T/help.main"

"$PY" - "$T" "$top/docs/monocache.1" "$top/README.md" $commands <<'EOF'
import re, sys

tmp, man_path, readme_path, commands = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
count = 0

def tap(ok, name, *lines):
    global count
    count += 1
    print(("ok" if ok else "not ok") + " %d - %s" % (count, name))
    if not ok:
        for line in lines:
            print("#   " + line)

def norm(form):
    return " ".join(form.upper().split())

def forms(lines):
    """Synopsis lines to forms: a line starting with 'monocache' begins one,
    others continue it."""
    out = []
    for line in lines:
        words = line.split()
        if not words:
            continue
        if words[0] == "usage:":
            words = words[1:]
        if words and words[0] == "monocache":
            out.append(" ".join(words))
        elif out:
            out[-1] += " " + " ".join(words)
    return [norm(f) for f in out]

def untroff(line):
    line = re.sub(r"\\f[BIRP]", "", line)
    return line.replace("\\-", "-").replace("\\%", "").replace("\\ ", " ")

help_forms = {}
described = {}
for command in commands:
    text = open("%s/help.%s" % (tmp, command)).read()
    synopsis, _, rest = text.partition("\n\n")
    help_forms[command] = forms(synopsis.splitlines())
    described[command] = set(re.findall(r"^  (?:-\w, )?(--[a-z0-9-]+)", rest, re.M))

man = open(man_path).read()
man_synopsis = man.split(".SH SYNOPSIS", 1)[1].split(".SH ", 1)[0]
man_forms = forms(untroff(l) for l in man_synopsis.splitlines() if not l.startswith("."))

readme = open(readme_path).read()
block = readme.split("## The command\n", 1)[1].split("\n## ", 1)[0]
readme_forms = forms(l for l in block.splitlines() if l.startswith("    ") and
                     not l.strip().startswith("#"))
readme_forms = [f for f in readme_forms if f.startswith("MONOCACHE ")]

main_text = open("%s/help.main" % tmp).read()
# "  CMD ARGS   what it does": the description after two spaces or more, or
# alone on the next line.
main_forms = forms("monocache " + re.split(r"\s{2,}", l.strip())[0]
                   for l in main_text.split("\n\n")[1].splitlines() if re.match(r"^  [a-z]", l))

for command in commands:
    mine = help_forms[command]
    tap(bool(mine), "%s --help begins with its synopsis" % command)
    for where, theirs in (("monocache(1) SYNOPSIS", man_forms), ("README", readme_forms)):
        for form in mine:
            tap(form in theirs, "%s: %s has %s" % (command, where, form),
                "its lines for %s:" % command,
                *[f for f in theirs if f.split()[:2] == form.split()[:2]] or ["(none)"])
    if command != "run":
        for form in mine:
            tap(form in main_forms, "%s: monocache --help has %s" % (command, form),
                *[f for f in main_forms if f.split()[:2] == form.split()[:2]] or ["(none)"])
    shown = set(o.lower() for f in mine for o in re.findall(r"--[A-Z0-9-]+", f)) - {"--"}
    tap(shown == described[command] - {"--help"},
        "%s: the options its synopsis shows are those its --help describes" % command,
        "shown, not described: %s" % sorted(shown - described[command]),
        "described, not shown: %s" % sorted(described[command] - {"--help"} - shown))

for where, theirs in (("monocache(1) SYNOPSIS", man_forms), ("README", readme_forms)):
    every = [f for c in commands for f in help_forms[c]]
    extra = [f for f in theirs if f not in every and f.split()[1].lower() in commands]
    tap(not extra, "%s shows no form the commands' --help do not" % where, *extra)
print("1..%d" % count)
EOF
status=$?
run_atexit
exit $status
