"""Build script: compiles the C core and its Cython binding.

Without a working C compiler the package installs with its pure-Python
implementation and a warning, unless SMARTREST_REQUIRE_EXTENSION=1 is set,
which makes the build fail instead.  Any other build error fails the build.
"""

import glob
import os
import subprocess
import sys
import warnings

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import CCompilerError, CompileError, ExecError, LinkError, PlatformError

REQUIRE = os.environ.get("SMARTREST_REQUIRE_EXTENSION", "") not in ("", "0")
DEBUG = os.environ.get("SMARTREST_DEBUG", "") not in ("", "0")
PROFILE = os.environ.get("SMARTREST_PROFILE") == "1"
# SMARTREST_SANITIZE=1: AddressSanitizer and UndefinedBehaviorSanitizer
# (gcc or clang), as scripts/asan.sh builds it.
SANITIZE = os.environ.get("SMARTREST_SANITIZE", "") not in ("", "0")

ldflags = []
if sys.platform == "win32":
    cflags = ["/O2"]
else:
    # A release build: optimised, without debug information (-g0 comes after
    # Python's own CFLAGS, which may hold -g, and wins with gcc and clang)
    # and, on ELF platforms, stripped at link time.
    cflags = ["-O3", "-g0", "-std=c99", "-fvisibility=hidden", "-Wall", "-Wextra",
              "-Wno-unused-function", "-Wno-unused-parameter", "-Wno-sign-compare",
              "-Wno-missing-field-initializers"]
    if sys.platform != "darwin":
        ldflags = ["-s"]
    if DEBUG:
        cflags = ["-O0", "-g", "-UNDEBUG", "-std=c99", "-Wall", "-Wextra"]
        ldflags = []
    elif PROFILE:  # the release build with symbols, for perf and the like
        cflags = ["-g" if f == "-g0" else f for f in cflags]
        ldflags = []
if SANITIZE and sys.platform != "win32":
    sanitizers = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined",
                  "-fno-omit-frame-pointer"]
    cflags = [f for f in cflags if not f.startswith(("-O", "-g"))] + ["-O1", "-g"] + sanitizers
    ldflags = sanitizers
if sys.platform.startswith("linux"):
    # csrc/table.c's pool of output blocks takes a pthread mutex.
    cflags = cflags + ["-pthread"]
    ldflags = ldflags + ["-pthread"]


def _extension(name, sources):
    """One extension module of the package: the C core's headers, the build's flags."""
    # depends: a change to any header of the core rebuilds the module.
    return Extension(name, sources=sources, include_dirs=["csrc"], extra_compile_args=cflags,
                     extra_link_args=ldflags, define_macros=[("CYTHON_TRACE", "0")],
                     depends=sorted(glob.glob("csrc/*.h")))


def _extensions():
    sources = ["smartrest/_codec.pyx", "csrc/tokenizer.c", "csrc/escape.c", "csrc/utf8.c", "csrc/number.c",
               "csrc/columns.c", "csrc/jsonl.c"]
    ext = _extension("smartrest._codec", sources)
    # The C fast path of templates.decode_messages: the template checks of
    # the C core.
    messages = _extension("smartrest._messages", ["smartrest/_messages.pyx", "csrc/check.c"])
    # smartrest.validate's C validator; its template tables
    # (csrc/templates_table.h) are generated from the registry first.
    subprocess.run([sys.executable, "scripts/gen_template_table.py"], check=True)
    validate = _extension("smartrest._validate",
                          ["smartrest/_validate.pyx", "csrc/validate.c", "csrc/check.c",
                           "csrc/tokenizer.c", "csrc/escape.c", "csrc/utf8.c"])
    # smartrest.arrow's typed tables (csrc/table.c).
    arrow = _extension("smartrest._arrow",
                       ["smartrest/_arrow.pyx", "csrc/table.c", "csrc/check.c", "csrc/tokenizer.c",
                        "csrc/escape.c", "csrc/utf8.c", "csrc/number.c"])
    # Cython is a build requirement (pyproject.toml): the build always has it.
    from Cython.Build import cythonize

    return cythonize(
        [ext, messages, validate, arrow],
        language_level=3,
        compiler_directives={
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
            "embedsignature": True,
        },
    )


# What a missing or broken C toolchain raises; anything else is a bug of the
# build and fails it.
_COMPILER_ERRORS = (CCompilerError, CompileError, ExecError, PlatformError, LinkError)


class OptionalBuildExt(build_ext):
    """Fall back to pure Python when the extension cannot be compiled."""

    def run(self):
        try:
            super().run()
        except _COMPILER_ERRORS as exc:  # no compiler, no Python headers
            self._fallback(exc)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except _COMPILER_ERRORS as exc:
            self._fallback(exc)

    def _fallback(self, exc):
        if REQUIRE:
            raise
        warnings.warn(
            "smartrest: the C extension could not be built "
            f"({type(exc).__name__}: {exc}); installing the pure-Python "
            "implementation, which is slower. Set SMARTREST_REQUIRE_EXTENSION=1 "
            "to make this an error.",
            stacklevel=1,
        )
        sys.stderr.write("WARNING: smartrest C extension not built; using pure Python\n")


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
