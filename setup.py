"""Build script: compiles the C core and its Cython binding.

Without a working C compiler (or without Cython and no pre-generated C
file), the package installs with its pure-Python implementation and a
warning, unless SMARTREST_REQUIRE_EXTENSION=1 is set, which makes the
build fail instead.
"""

import os
import sys
import warnings

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

REQUIRE = os.environ.get("SMARTREST_REQUIRE_EXTENSION", "") not in ("", "0")
DEBUG = os.environ.get("SMARTREST_DEBUG", "") not in ("", "0")
# SMARTREST_SANITIZE=1: AddressSanitizer and UndefinedBehaviorSanitizer
# (gcc or clang), as scripts/asan.sh builds it.
SANITIZE = os.environ.get("SMARTREST_SANITIZE", "") not in ("", "0")

if sys.platform == "win32":
    cflags = ["/O2"]
else:
    cflags = ["-O3", "-std=c99", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-function",
              "-Wno-unused-parameter", "-Wno-sign-compare", "-Wno-missing-field-initializers"]
    if DEBUG:
        cflags = ["-O0", "-g", "-UNDEBUG", "-std=c99", "-Wall", "-Wextra"]
ldflags = []
if SANITIZE and sys.platform != "win32":
    sanitizers = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined",
                  "-fno-omit-frame-pointer"]
    cflags = [f for f in cflags if not f.startswith("-O")] + ["-O1", "-g"] + sanitizers
    ldflags = sanitizers


def _extensions():
    sources = ["smartrest/_codec.pyx", "csrc/tokenizer.c", "csrc/escape.c", "csrc/utf8.c", "csrc/number.c",
               "csrc/columns.c"]
    ext = Extension(
        "smartrest._codec",
        sources=sources,
        include_dirs=["csrc"],
        extra_compile_args=cflags,
        extra_link_args=ldflags,
        define_macros=[("CYTHON_TRACE", "0")],
    )
    # The C fast path of templates.decode_messages (no C core files).
    messages = Extension(
        "smartrest._messages",
        sources=["smartrest/_messages.pyx"],
        extra_compile_args=cflags,
        extra_link_args=ldflags,
        define_macros=[("CYTHON_TRACE", "0")],
    )
    try:
        from Cython.Build import cythonize
    except ImportError:
        c_file = "smartrest/_codec.c"
        if not os.path.exists(c_file):
            raise
        ext.sources[0] = c_file
        extensions = [ext]
        if os.path.exists("smartrest/_messages.c"):
            messages.sources[0] = "smartrest/_messages.c"
            extensions.append(messages)
        return extensions
    return cythonize(
        [ext, messages],
        language_level=3,
        compiler_directives={
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
            "embedsignature": True,
        },
    )


class OptionalBuildExt(build_ext):
    """Fall back to pure Python when the extension cannot be compiled."""

    def run(self):
        try:
            super().run()
        except Exception as exc:  # compiler missing, headers missing, ...
            self._fallback(exc)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:
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


try:
    ext_modules = _extensions()
except Exception as exc:  # Cython missing and no generated C file
    if REQUIRE:
        raise
    sys.stderr.write(f"WARNING: smartrest C extension not built ({exc}); using pure Python\n")
    ext_modules = []

setup(ext_modules=ext_modules, cmdclass={"build_ext": OptionalBuildExt})
