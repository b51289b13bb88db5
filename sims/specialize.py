"""Compiled kernels specialized per component and per family of components, as generated source files.

Why generated files
-------------------
A component (objective, method, noise law) holds its own compiled kernel
(``Objective.kernel``, ``Method.step``, ``NoiseLaw.transform``/``row``).  The
engine's block runner and the block kernels around the components' kernels
are *templates*: plain functions whose calls to a component's kernel go
through names the template does not define (``kernel``, ``step``,
``transform``, ``values_and_grads``, ...).  They are bound here by writing a
small Python module per component (its block kernels) and per family of
components (a generated dispatch on the members' ids and the runner), and
importing it; numba compiles and caches its functions like those of any
file.  The built-ins form one family, compiled once for all their
combinations; a combination with a user's component is a family of its own
(:func:`runner`).  Components' kernels are inlined into their block kernels
exactly as into hand-written ones.

Rebinding the globals of one code object instead (``types.FunctionType``,
closures) is not safe with numba's on-disk cache: it indexes a function by its
source file and qualified name, not by what the names in it were bound to, so
a specialization compiled for one family could be served to another.
Here every generated file's name is the SHA-256 of its own text and of the
source files of the modules it imports (the components' kernels, the
templates, the generated modules it builds on), so a cache entry always
belongs to exactly the code it was compiled from: two families never share
one, and editing a kernel gives a new file and a new compilation.  The files
live in the kernel cache directory (:data:`sims._numba.CACHE_DIR`, itself
keyed on every kernel source of the package), or, with the kernel cache
disabled or not writable, in a temporary directory removed at exit.

A built-in's kernel is a module-level function of an importable module (the
generated file imports it by module and name); a user's function is copied
into a generated module of its own by :func:`user_kernel`, so that its
definition is the cache key wherever it was defined (docs/design.md#specialized-kernels).
"""

from __future__ import annotations

import ast
import builtins
import functools
import hashlib
import importlib.util
import inspect
import os
import sys
import tempfile
import textwrap
import threading
from pathlib import Path
from types import ModuleType
from typing import Callable

from sandbox.cache import write_bytes_atomic
from sandbox.errors import InvalidParameter

from . import _numba

# Generation and import of a module must happen once per process even when threads ask for it
# together; re-entrant because a runner's module is built on its components' modules.
_LOCK = threading.RLock()
_PREFIX = "sandbox_specialized_"
_fallback_dir: tempfile.TemporaryDirectory | None = None


def _python_function(kernel: Callable) -> Callable:
    """The Python function behind a compiled kernel (or the kernel itself, uncompiled)."""
    return getattr(kernel, "py_func", None) or getattr(kernel, "__wrapped__", kernel)


def _import_line(kernel: Callable, name: str) -> tuple[str, ModuleType]:
    """``from MODULE import QUALNAME as name`` for a module-level kernel, and its module."""
    func = _python_function(kernel)
    module = sys.modules.get(func.__module__)
    if module is None or getattr(module, func.__qualname__, None) is not kernel:
        raise TypeError(
            f"kernel {func.__qualname__!r} of module {func.__module__!r} is not a module-level attribute of an "
            "imported module: a component's kernel must be importable by module and name"
        )
    return f"from {func.__module__} import {func.__qualname__} as {name}", module


def _template_imports(template: Callable, bound: set[str]) -> list[str]:
    """The imports of ``template``'s free names (other than ``bound``) from its own module."""
    module = sys.modules[template.__module__]
    free = sorted(
        n for n in set(template.__code__.co_names) - bound
        if n in vars(module) and not (hasattr(builtins, n) and getattr(builtins, n) is vars(module)[n])
    )  # fmt: skip
    return [f"from {template.__module__} import {', '.join(free)}"] if free else []


def _template_text(template: Callable, name: str, decorator: str, bound: set[str]) -> tuple[list[str], str, ModuleType]:
    """The imports of ``template``'s free names from its own module, and its source as ``name``."""
    module = sys.modules[template.__module__]
    imports = _template_imports(template, bound)
    source = textwrap.dedent(inspect.getsource(template))
    head = f"def {template.__name__}("
    if not source.startswith(head):
        raise TypeError(f"template {template.__qualname__!r} must be an undecorated function")
    return imports, f"{decorator}\ndef {name}(" + source[len(head):], module


def _directory() -> Path:
    global _fallback_dir
    if _numba.CACHE:
        path = Path(_numba.CACHE_DIR) / "specialized"
        try:
            path.mkdir(parents=True, exist_ok=True)
            if os.access(path, os.W_OK):
                return path
        except OSError:
            pass
    if _fallback_dir is None:
        _fallback_dir = tempfile.TemporaryDirectory(prefix="sandbox-specialized-")
    return Path(_fallback_dir.name)


def _source_file_text(module: ModuleType) -> bytes:
    path = getattr(module, "__file__", None)
    return Path(path).read_bytes() if path else b""


def generate(label: str, doc: str, lines: list[str], modules: list[ModuleType]) -> ModuleType:
    """Write (once) and import the module made of ``lines``; its name is its digest.

    Parameters
    ----------
    label : str
        Readable part of the module's name, e.g. ``"method_sgd"``.
    doc : str
        First line of the module's docstring.
    lines : list of str
        The module's code (imports first).
    modules : list of module
        The modules it imports from: their source files enter the digest.

    Returns
    -------
    module
        The imported module (also in ``sys.modules``).
    """
    text = f'"""Generated by sims.specialize: {doc}\n\nDo not edit: the file name is the digest of this text and of the sources it imports."""\n\n'
    text += "\n".join(lines) + "\n"
    digest = hashlib.sha256(text.encode())
    for module in sorted(set(modules), key=lambda m: m.__name__):
        digest.update(module.__name__.encode() + b"\0" + _source_file_text(module) + b"\0")
    name = f"{_PREFIX}{label}_{digest.hexdigest()[:24]}"
    with _LOCK:
        if name in sys.modules:
            return sys.modules[name]
        path = _directory() / f"{name}.py"
        if not path.exists():
            # written once: numba's cache index checks the file's modification time
            write_bytes_atomic(path, text.encode())
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
        return module


def specialize(
    label: str, doc: str, templates: dict[str, tuple[Callable, str]], kernels: dict[str, Callable],
    constants: dict[str, bool], uses: dict[str, ModuleType],
) -> ModuleType:  # fmt: skip
    """Generate the module binding ``templates`` to ``kernels``, ``constants`` and generated ``uses``.

    Parameters
    ----------
    templates : dict of name -> (template function, decorator line)
        The module's compiled functions, defined from the templates' sources
        under the given names, in order (a later one may call an earlier one).
    kernels : dict of name -> compiled kernel
        Imported under the given names.
    constants : dict of name -> bool
        Module constants (facts of the components; numba compiles them as
        constants, so a branch on one costs nothing).
    uses : dict of name -> generated module
        Names imported from modules generated before (the components' block kernels).
    """
    bound = set(kernels) | set(constants) | set(uses) | set(templates)
    lines = ["from sims._numba import jit"]
    modules: list[ModuleType] = [_numba]
    for name, kernel in kernels.items():
        line, module = _import_line(kernel, name)
        lines.append(line)
        modules.append(module)
    for name, module in uses.items():
        lines.append(f"from {module.__name__} import {name}")
        modules.append(module)
    bodies = []
    for name, (template, decorator) in templates.items():
        imports, body, module = _template_text(template, name, decorator, bound)
        lines += imports
        modules.append(module)
        bodies.append(body)
    lines += [""] + [f"{name} = {value!r}" for name, value in constants.items()]
    for body in bodies:
        lines += ["", body.rstrip()]
    return generate(label, doc, lines, modules)


_IDENTIFIER_SAFE = str.maketrans({c: "_" for c in " -.:/\\()[]{},;'\"<>!?*+=&|^%$#@~`"})


def _user_source(func: Callable, owner: str) -> tuple[str, ast.FunctionDef]:
    """The dedented source of a user's ``def`` function without its decorators, and its syntax tree."""
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):
        raise InvalidParameter(
            f"{owner}: the source of {func.__qualname__!r} is not available; define it with `def` in a file, "
            "a notebook cell or a module (not with exec or at an interactive prompt without a file)"
        ) from None
    try:
        tree = ast.parse(source)
    except SyntaxError:  # e.g. a lambda inside a larger expression
        tree = None
    if tree is None or len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef):
        raise InvalidParameter(f"{owner}: {func.__qualname__!r} must be a function defined with `def` (not a lambda)")
    node = tree.body[0]
    node.decorator_list = []
    return ast.unparse(node), node


def _global_lines(func: Callable, owner: str, seen: dict[int, str]) -> list[str]:
    """Lines defining the globals a user's function reads, as the generated module will see them.

    Modules are imported under the same name, numbers (and tuples of numbers) are
    written as literals (their values at this call: numba freezes globals at
    compilation anyway), and functions are copied the same way, recursively.
    """
    lines: list[str] = []
    names = set(func.__code__.co_names)
    for const in func.__code__.co_consts:  # names read by nested code (comprehensions are not supported by numba anyway)
        if hasattr(const, "co_names"):
            names |= set(const.co_names)
    for name in sorted(names & set(func.__globals__)):
        value = func.__globals__[name]
        if isinstance(value, ModuleType):
            lines.append(f"import {value.__name__} as {name}" if value.__name__ != name else f"import {name}")
        elif isinstance(value, (bool, int, float)) or (
            isinstance(value, tuple) and all(isinstance(v, (bool, int, float)) for v in value)
        ):
            lines.append(f"{name} = {value!r}")
        elif callable(value) and hasattr(_python_function(value), "__code__"):
            helper = _python_function(value)
            if id(helper) not in seen:
                seen[id(helper)] = name
                lines += _global_lines(helper, owner, seen)
                source, _ = _user_source(helper, owner)
                lines += ["", "@jit(inline=True)", source.replace(f"def {helper.__name__}(", f"def {name}(", 1), ""]
        elif callable(value) and getattr(value, "__module__", "").split(".")[0] in ("numba", "numpy", "math"):
            lines.append(f"from {value.__module__} import {getattr(value, '__name__', name)} as {name}")
        else:
            raise InvalidParameter(
                f"{owner}: {func.__qualname__!r} reads the global {name!r} ({type(value).__name__}); a compiled "
                "user function may read modules, numbers, tuples of numbers and other functions only "
                "(pass other values as parameters)"
            )
    return lines


def user_kernel(func: Callable, owner: str, label: str) -> Callable:
    """Compile a user's function as a kernel, in a generated module keyed on its definition.

    The function's source (without decorators) is copied into a generated
    module together with what it reads: modules, numbers and the functions it
    calls (copied recursively), and compiled there with ``@jit(inline=True)``,
    like a built-in component's kernel.  The module's name is the digest of
    that text, so the compiled code is cached on disk across processes and can
    never be served for another definition: editing the function, a helper it
    calls or a constant it reads gives a new module.  It works the same for a
    function defined in a package, a script or a notebook cell.

    Parameters
    ----------
    func : function or numba dispatcher
        Defined with ``def``; not a closure.
    owner : str
        What the function is for, for error messages (e.g. ``"method 'my_clip'"``).
    label : str
        Readable part of the generated module's name.

    Returns
    -------
    numba dispatcher
        The compiled kernel (the attribute ``kernel`` of the generated module).

    Raises
    ------
    InvalidParameter
        When ``func`` is not a ``def`` function, its source is unavailable, it is a
        closure, or it reads a global of another kind than those listed above.
    """
    py = _python_function(func)
    if not inspect.isfunction(py):
        raise InvalidParameter(f"{owner}: expected a function defined with `def`, got {type(func).__name__} {func!r}")
    if py.__closure__:
        names = ", ".join(py.__code__.co_freevars)
        raise InvalidParameter(
            f"{owner}: {py.__qualname__!r} is a closure (it reads {names} from an enclosing function); "
            "define it at module level and pass such values as parameters"
        )
    source, _ = _user_source(py, owner)
    lines = ["from sims._numba import jit"] + _global_lines(py, owner, {id(py): "kernel"})
    lines += ["", "@jit(inline=True)", source.replace(f"def {py.__name__}(", "def kernel(", 1)]
    safe = label.translate(_IDENTIFIER_SAFE)
    module = generate(f"user_{safe}", f"the user kernel {py.__qualname__!r} of {owner}.", lines, [_numba])
    return module.kernel


def _objective_binding(obj) -> tuple[Callable, dict, dict]:
    from . import objectives

    return objectives._values_and_grads, {"kernel": obj.kernel}, {"SEPARABLE": bool(obj.separable)}


def _method_binding(meth) -> tuple[Callable, dict, dict]:
    from . import methods

    return methods._method_steps, {"step": meth.step}, {"USES_GRADIENT_NORM": bool(meth.uses_gradient_norm)}


def _noise_binding(law) -> tuple[Callable, dict, dict]:
    from . import noise

    if law.transform is not None:
        return noise._fill_rows_by_lanes, {"transform": law.transform}, {}
    return noise._fill_rows_by_rows, {"row": law.row}, {}


@functools.cache  # per component (equal components have equal kernels): no digest per call
def objective_kernels(obj) -> ModuleType:
    """The objective's block kernel ``values_and_grads(p, X, G, F, T)`` and ``value_and_grad(p, x, g)``."""
    from . import objectives

    template, kernels, constants = _objective_binding(obj)
    return specialize(
        f"objective_{obj.name}", f"the block kernels of objective {obj.name!r}.",
        templates={
            "values_and_grads": (template, "@jit(refcount=False)"),
            "value_and_grad": (objectives._value_and_grad, "@jit"),
        },
        kernels=kernels, constants=constants, uses={},
    )  # fmt: skip


@functools.cache  # per component (equal components have equal kernels): no digest per call
def method_kernels(meth) -> ModuleType:
    """The method's block kernel ``method_steps(k, h, X, G, M, V, clipped, T, u, w)``."""
    template, kernels, constants = _method_binding(meth)
    return specialize(
        f"method_{meth.name}", f"the block kernel of method {meth.name!r}.",
        templates={"method_steps": (template, "@jit(refcount=False)")}, kernels=kernels, constants=constants, uses={},
    )  # fmt: skip


@functools.cache  # per component (equal components have equal kernels): no digest per call
def noise_kernels(law) -> ModuleType:
    """The law's block kernel ``fill_noise_rows(p, seed, rep0, rep_inc, step0, step_inc, out, work)``."""
    template, kernels, constants = _noise_binding(law)
    return specialize(
        f"noise_{law.name}", f"the block kernel of noise law {law.name!r}.",
        templates={"fill_noise_rows": (template, "@jit(refcount=False)")}, kernels=kernels, constants=constants, uses={},
    )  # fmt: skip


class _Bind(ast.NodeTransformer):
    """Replace names in a template's body: constants by their values, the others by new names."""

    def __init__(self, constants: dict, renamed: dict[str, str]):
        self.constants, self.renamed = constants, renamed

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.constants:
            return ast.copy_location(ast.Constant(self.constants[node.id]), node)
        if node.id in self.renamed:
            return ast.copy_location(ast.Name(self.renamed[node.id], node.ctx), node)
        return node


def _dispatch(label: str, doc: str, name: str, bindings: list[tuple[Callable, dict, dict]]) -> ModuleType:
    """Generate ``name(which, *args)``: the body of member ``which``'s block-kernel template.

    Each member's template body is written into its own branch, with its kernels
    imported under numbered names, its facts written as literals and its local
    variables numbered, so the family compiles as one function, as a
    hand-written dispatcher would (compiling each member's block kernel on its
    own first and calling it was measured to double a cold start).
    """
    lines, modules, branches, args = ["from sims._numba import jit"], [_numba], [], None
    for i, (template, kernels, constants) in enumerate(bindings):
        node = ast.parse(textwrap.dedent(inspect.getsource(template))).body[0]
        params = [a.arg for a in node.args.args]
        if args is not None and params != args:
            raise TypeError(f"templates of one dispatch must take the same arguments: {params} != {args}")
        args = params
        local = set(template.__code__.co_varnames) - set(params)
        binder = _Bind(constants, {**{k: f"{k}_{i}" for k in kernels}, **{v: f"{v}_{i}" for v in local}})
        body = node.body[1:] if isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant) else node.body
        for kname, kernel in kernels.items():
            line, module = _import_line(kernel, f"{kname}_{i}")
            lines.append(line)
            modules.append(module)
        for line in _template_imports(template, set(kernels) | set(constants)):
            if line not in lines:
                lines.append(line)
        modules.append(sys.modules[template.__module__])
        branches.append(f"    {'if' if i == 0 else 'elif'} which == {i}:")
        branches += [textwrap.indent(ast.unparse(binder.visit(stmt)), " " * 8) for stmt in body]
    lines += ["", "", "@jit(refcount=False)", f"def {name}(which, {', '.join(args)}):", *branches]
    return generate(label, doc, lines, modules)


@functools.cache  # per family: no digest per call
def _family_runner(objectives: tuple, methods: tuple, laws: tuple) -> Callable:
    """The engine's block runner for a family of components: ``run_block(objective_id, method_id, law_id, ...)``.

    The dispatch on the three ids is generated (a member's id is its position in
    the family), once per family: one compilation serves every combination of
    its members.
    """
    from . import engine

    def names(members):
        return "_".join(m.name for m in members) if len(members) == 1 else f"{len(members)}"

    label = f"{names(objectives)}_{names(methods)}_{names(laws)}"
    uses = {
        "values_and_grads": _dispatch(
            f"objectives_{names(objectives)}", "the objectives' block kernels, by id.", "values_and_grads",
            [_objective_binding(o) for o in objectives],
        ),
        "method_steps": _dispatch(
            f"methods_{names(methods)}", "the methods' block kernels, by id.", "method_steps",
            [_method_binding(m) for m in methods],
        ),
        "fill_noise_rows": _dispatch(
            f"laws_{names(laws)}", "the noise laws' block kernels, by id.", "fill_noise_rows",
            [_noise_binding(law) for law in laws],
        ),
    }
    return specialize(
        f"run_{label}", f"the block runner of objectives {[o.name for o in objectives]}, methods "
        f"{[m.name for m in methods]}, noise laws {[law.name for law in laws]}.",
        templates={"run_block": (engine._run_block, "@jit")},
        kernels={}, constants={"NOISY": tuple(not law.exact for law in laws)}, uses=uses,
    ).run_block  # fmt: skip


def runner(obj, meth, law) -> Callable:
    """The engine's block runner for one (objective, method, noise law), ids bound.

    Built-in components share one runner, generated for the family of all
    built-ins (compiled once, like a hand-written dispatcher: a test suite or a
    catalogue check runs dozens of combinations, and compiling each on its own
    costs 5-12 s); a combination with a user component gets a runner of its
    own, generated for those three components only.
    """
    from .methods import METHODS
    from .noise import LAWS
    from .objectives import OBJECTIVES

    registries = (OBJECTIVES, METHODS, LAWS)
    chosen = (obj, meth, law)
    if all(reg.get(c.name) is c for reg, c in zip(registries, chosen)):
        family = tuple(tuple(reg.values()) for reg in registries)
    else:
        family = tuple((c,) for c in chosen)
    ids = tuple(members.index(c) for members, c in zip(family, chosen))
    return functools.partial(_family_runner(*family), *ids)
