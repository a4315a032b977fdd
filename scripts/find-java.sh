# Sourced by ./easel and .ci/run: sets JAVA_HOME to a JDK 21 or newer, or says clearly that there is none.
# Order: $JAVA_HOME, then the java on $PATH, then the newest JDK under /usr/lib/jvm (and macOS's JavaVirtualMachines).

_easel_java_major() { # prints the major version of the java binary $1, or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p' | head -n 1
}

_easel_is_jdk21() { # $1: a JDK home
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 1
  local v; v=$(_easel_java_major "$1/bin/java")
  [ -n "$v" ] && [ "$v" -ge 21 ]
}

easel_find_java() {
  if [ -n "${JAVA_HOME:-}" ] && _easel_is_jdk21 "$JAVA_HOME"; then return 0; fi
  local candidate
  if command -v javac >/dev/null 2>&1; then
    candidate=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    if _easel_is_jdk21 "$candidate"; then export JAVA_HOME="$candidate"; return 0; fi
  fi
  local best="" best_v=0 v
  for candidate in /usr/lib/jvm/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -x "$candidate/bin/javac" ] || continue
    v=$(_easel_java_major "$candidate/bin/java")
    if [ -n "$v" ] && [ "$v" -ge 21 ] && [ "$v" -gt "$best_v" ]; then best="$candidate"; best_v="$v"; fi
  done
  if [ -n "$best" ]; then export JAVA_HOME="$best"; return 0; fi
  echo "easel: no JDK 21 or newer found (looked at \$JAVA_HOME, the javac on \$PATH and /usr/lib/jvm)." >&2
  echo "easel: install one (e.g. Temurin 21+) and set JAVA_HOME to it." >&2
  return 1
}
