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

_easel_found() { # $1: the JDK home chosen; says so, and quiets Maven's own JDK 24+ warnings
  export JAVA_HOME="$1"
  EASEL_JAVA_MAJOR=$(_easel_java_major "$JAVA_HOME/bin/java")
  echo "easel: using the JDK $EASEL_JAVA_MAJOR at $JAVA_HOME" >&2
  # Maven 3.9's Guice calls sun.misc.Unsafe, which JDK 24+ warns about on every run; the flag does not exist before 24
  if [ "$EASEL_JAVA_MAJOR" -ge 24 ]; then
    case " ${MAVEN_OPTS:-} " in
      *" --sun-misc-unsafe-memory-access="*) ;;
      *) export MAVEN_OPTS="${MAVEN_OPTS:+$MAVEN_OPTS }--sun-misc-unsafe-memory-access=allow" ;;
    esac
  fi
}

easel_find_java() {
  if [ -n "${JAVA_HOME:-}" ] && _easel_is_jdk21 "$JAVA_HOME"; then _easel_found "$JAVA_HOME"; return 0; fi
  local candidate
  if command -v javac >/dev/null 2>&1; then
    candidate=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    if _easel_is_jdk21 "$candidate"; then _easel_found "$candidate"; return 0; fi
  fi
  local best="" best_v=0 v
  for candidate in /usr/lib/jvm/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -x "$candidate/bin/javac" ] || continue
    v=$(_easel_java_major "$candidate/bin/java")
    if [ -n "$v" ] && [ "$v" -ge 21 ] && [ "$v" -gt "$best_v" ]; then best="$candidate"; best_v="$v"; fi
  done
  if [ -n "$best" ]; then _easel_found "$best"; return 0; fi
  echo "easel: no JDK 21 or newer found (looked at \$JAVA_HOME, the javac on \$PATH and /usr/lib/jvm)." >&2
  echo "easel: install one (e.g. Temurin 21+) and set JAVA_HOME to it." >&2
  return 1
}
