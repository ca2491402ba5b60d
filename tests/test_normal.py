"""The normal quantiles kept as constants are scipy's, to the last bit."""

from scipy import stats

from cscbook.models import forecast, normal


def test_the_constants_are_scipys_quantiles():
    assert normal.Z80 == float(stats.norm.ppf(0.9))
    assert normal.Z95 == float(stats.norm.ppf(0.975))
    assert normal.Z == {80: normal.Z80, 95: normal.Z95}
    assert forecast.Z is normal.Z


def test_no_other_module_keeps_its_own_quantiles():
    """One source of the constants: no model assigns its own Z or Z95 (each imports them from models.normal)."""
    import ast
    from pathlib import Path

    models = Path(normal.__file__).parent
    assigned = [f"{p.name}: {t.id}" for p in models.glob("*.py") if p.name != "normal.py"
                for node in ast.parse(p.read_text(encoding="utf-8")).body if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name) and t.id in {"Z", "Z80", "Z95"}]
    assert assigned == []
