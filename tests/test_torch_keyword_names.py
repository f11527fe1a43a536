"""The PyTorch door's parameter names and the names its tutorials reach for (issue 11, item 7).

``test_every_keyword_pytorch_accepts_is_accepted`` audits every public function of ``turunan.torch`` and every
method of its Tensor that PyTorch also has: each keyword PyTorch 2.13 accepts (read from the function's Python
signature where it has one, else from its ATen schemas, ``self`` being ``input``) must be a parameter of ours.
Functions that take ``**kwargs`` cannot be audited by signature; the calls below check them by behaviour.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import turunan.torch as TT
from turunan.torch.autograd import Variable

# keywords no turunan function needs to name: where results go, memory layout, devices, generators, ATen's
# out-variant names (sort/topk's values/indices), and bmm/mm's out_dtype (not in PyTorch's Python docs)
IGNORED = {"out", "layout", "device", "pin_memory", "memory_format", "names", "non_blocking", "generator",
           "values", "indices", "out_dtype", "implicit"}
# where the schema's name is not the one PyTorch's Python binding takes, or the overload is refused on purpose
EXEMPT = {
    "tensor": "PyTorch's Python binding names it data (the schema's 't'); ours is data",
    "as_tensor": "as tensor",
    "Tensor.to": "the binding names the tensor overload 'tensor' (the schema 'other'); x.to(y) works",
    "Tensor.view": "view(dtype) reinterprets memory, which NumPy-backed turunan refuses with a TypeError",
}


def _torch_names(torch, fn, name: str, method: bool) -> set | None:
    try:
        sig = inspect.signature(fn)
        params = list(sig.parameters.values())
        if any(p.kind == p.VAR_KEYWORD for p in params):
            raise ValueError                     # (*args, **kwargs): the names are in the schemas
        if params and params[0].kind == inspect.Parameter.VAR_POSITIONAL and params[0].name == "args":
            return None                          # (*args): positional only (einsum)
        names = {p.name for p in params if p.kind != p.VAR_KEYWORD}
        return names - {"self"} - IGNORED
    except (ValueError, TypeError):
        pass
    names = set()
    for s in torch._C._jit_get_schemas_for_operator(f"aten::{name}"):
        args = s.arguments
        if "Dimname" in str(s) or not args or str(args[0].type) != "Tensor" or s.overload_name.endswith("out"):
            continue                             # named dims; overloads on Python numbers or lists; out= forms
        if method and args[0].name != "self":
            continue
        got = ["input" if a.name == "self" else a.name for a in args]
        names |= set(got[1:] if method else got)
    return names - IGNORED or None


def _ours(fn) -> set | None:
    params = inspect.signature(fn).parameters.values()
    if any(p.kind == p.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params if p.kind != p.VAR_KEYWORD}


def _audit_items():
    items = [(n, getattr(TT, n), False) for n in dir(TT) if not n.startswith("_")]
    items += [(f"Tensor.{n}", getattr(TT.Tensor, n), True) for n in dir(TT.Tensor) if not n.startswith("_")]
    return [(n, f, m) for n, f, m in items if callable(f) and not isinstance(f, type) and n not in EXEMPT]


def test_every_keyword_pytorch_accepts_is_accepted():
    torch = pytest.importorskip("torch")
    missing, audited = {}, 0
    for name, fn, method in _audit_items():
        short = name.split(".")[-1]
        theirs_fn = getattr(torch.Tensor if method else torch, short, None)
        if theirs_fn is None:
            continue
        ours = _ours(fn)
        theirs = _torch_names(torch, theirs_fn, short, method)
        if ours is None or theirs is None:
            continue
        audited += 1
        lacking = theirs - ours - ({"self"} if method else set())
        if lacking:
            missing[name] = sorted(lacking)
    assert audited > 100, audited
    assert not missing, f"keywords PyTorch accepts and the door does not: {missing}"


@pytest.mark.parametrize("call", [
    "torch.matmul(input=a, other=b)", "torch.mm(input=a, mat2=b)", "torch.dot(input=v, tensor=v)",
    "torch.mv(input=a, vec=v3)", "torch.outer(input=v, vec2=v)", "torch.sum(input=a, dim=1, keepdim=True)",
    "torch.sum(a, axis=0, keepdims=True)", "torch.mean(input=a, dim=0, dtype=torch.float64)",
    "torch.prod(a, 1, dtype=torch.float64)", "torch.softmax(input=a, dim=-1)", "torch.log_softmax(a, 1, torch.float64)",
    "torch.amax(input=a, dim=1)", "torch.argmax(input=a, dim=0, keepdim=True)", "torch.clamp(input=a, min=0.5)",
    "torch.pow(input=a, exponent=2)", "torch.permute(input=a, dims=(1, 0))", "torch.reshape(input=a, shape=(-1,))",
    "torch.round(input=a / 7, decimals=2)", "torch.abs(input=-a)", "torch.neg(input=a)",
    "torch.max(input=a, dim=1).values", "torch.max(a, other=b.t())", "torch.std(input=a, dim=0)",
    "torch.var(a, correction=0)", "torch.cumsum(input=a, dim=1)", "torch.transpose(input=a, dim0=0, dim1=1)",
    "torch.swapaxes(a, axis0=0, axis1=1)", "torch.swapdims(a, dim0=0, dim1=1)",
    "torch.where(a > 2, input=a, other=b.t())", "torch.add(input=a, other=a, alpha=2)",
    "torch.sub(a, other=a, alpha=2)", "torch.div(input=a, other=2, rounding_mode='floor')",
    "torch.arange(end=4)", "torch.arange(start=1, end=7, step=2)", "torch.arange(5)", "torch.arange(1, 4)",
    "torch.linspace(start=-1, end=1, steps=5)", "torch.zeros(size=(2, 3))", "torch.ones(2, 3, dtype=torch.float64)",
    "torch.full(size=(2,), fill_value=3.0)", "torch.zeros_like(input=a)", "torch.full_like(input=a, fill_value=2)",
    "torch.eye(n=2, m=3)", "torch.tensor(data=[1.0, 2.0], dtype=torch.float64)", "torch.empty(size=(0,)).shape",
    "a.matmul(other=b)", "a.mm(mat2=b)", "v.dot(tensor=v)", "a.sum(dim=0)", "a.mean(dim=1, keepdim=True)",
    "a.all(dim=0)", "(a > 2).any(dim=1, keepdim=True)", "a.pow(exponent=2)", "a.transpose(dim0=0, dim1=1)",
    "a.permute(dims=(1, 0))", "a.reshape(shape=(3, 2))", "a.view(size=(3, 2))", "a.expand(size=(2, 2, 3))",
    "a.flip(dims=(0,))", "a.repeat(repeats=(2, 1))", "a.softmax(dim=0)", "a.prod(dtype=torch.float64)",
    "a.broadcast_to(size=(2, 2, 3))", "a.gather(dim=1, index=torch.tensor([[0], [2]]))", "a.swapdims(dim0=0, dim1=1)",
])
def test_calls_with_pytorchs_keywords_match_pytorch(call):
    def run(torch):
        a = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        b = torch.tensor([[1.0, 0.5], [2.0, 1.0], [0.0, 3.0]])
        v, v3 = torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0, 3.0])
        out = eval(call, {"torch": torch, "a": a, "b": b, "v": v, "v3": v3})
        return np.asarray(out) if not hasattr(out, "detach") else out.detach().numpy()

    ours = run(TT)
    torch = pytest.importorskip("torch")
    theirs = run(torch)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_out_is_refused_and_wrong_keywords_are_type_errors():
    a = TT.ones(2, 2)
    with pytest.raises(TypeError, match="out="):
        TT.matmul(a, a, out=a)
    with pytest.raises(TypeError, match="matmul"):
        TT.matmul(a, y=a)
    with pytest.raises(TypeError, match="view"):
        a.view(shape=(4,))


def test_variable_is_the_legacy_wrapper():
    t = TT.ones(2)
    v = Variable(t, requires_grad=True)
    assert type(v) is TT.Tensor and v is not t and v.requires_grad and v.is_leaf and not t.requires_grad
    v.data.add_(1)
    assert t.tolist() == [2.0, 2.0]                 # the same memory, as PyTorch's
    assert isinstance(t, Variable) and isinstance(v * 2, Variable) and not isinstance(1.0, Variable)
    assert not Variable(t).requires_grad
    with pytest.warns(UserWarning, match="volatile was removed"):
        Variable(t, volatile=True)
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        Variable([1.0])
    pytest.importorskip("torch")
    from torch.autograd import Variable as TV
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
            TV([1.0])


@pytest.mark.parametrize("name,dtype", [("FloatTensor", "float32"), ("DoubleTensor", "float64"),
                                        ("LongTensor", "int64"), ("IntTensor", "int32"), ("ByteTensor", "uint8"),
                                        ("BoolTensor", "bool"), ("HalfTensor", "float16")])
def test_typed_constructors(name, dtype):
    cls = getattr(TT, name)
    x = cls([1, 0, 2])
    assert type(x) is TT.Tensor and str(x.dtype) == f"torch.{dtype}" and isinstance(x, cls)
    assert cls(2, 3).shape == (2, 3) and repr(cls) == f"<class 'torch.{name}'>"
    assert not isinstance(TT.ones(1, dtype=TT.complex64), cls)
    torch = pytest.importorskip("torch")
    theirs = getattr(torch, name)([1, 0, 2])
    assert x.tolist() == theirs.tolist() and str(theirs.dtype) == str(x.dtype)
    assert isinstance(theirs, getattr(torch, name))


def test_devices_and_accelerator_report_the_cpu_only():
    assert TT.accelerator.is_available() is False and TT.accelerator.current_accelerator() is None
    assert TT.accelerator.device_count() == 0 and TT.cuda.is_available() is False
    device = TT.accelerator.current_accelerator().type if TT.accelerator.is_available() else "cpu"
    TT.set_default_device(device)
    TT.set_default_device(None)
    assert TT.get_default_device() == TT.device("cpu") and str(TT.device("cpu")) == "cpu"
    with pytest.raises(RuntimeError, match="CPU"):
        TT.set_default_device("cuda")
    x = TT.ones(2)
    assert x.to("cpu") is x and x.to(TT.device("cpu")) is x and x.cpu() is x
    assert x.to("cpu", TT.float64).dtype == TT.float64
    with pytest.raises(RuntimeError, match="CPU"):
        x.cuda()
    with pytest.raises(RuntimeError, match="CPU"):
        x.to("cuda:0")
    assert TT.linspace(0, 1, 3, device=TT.device("cpu")).tolist() == [0.0, 0.5, 1.0]
