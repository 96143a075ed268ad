"""The arXiv category taxonomy: which codes exist, and the OAI-PMH set of each."""

from __future__ import annotations

from paperwire.ingest.errors import IngestError

_GROUPS: dict[str, str] = {
    "cs": "AI AR CC CE CG CL CR CV CY DB DC DL DM DS ET FL GL GR GT HC IR IT LG LO MA MM "
    "MS NA NE NI OH OS PF PL RO SC SD SE SI SY",
    "econ": "EM GN TH",
    "eess": "AS IV SP SY",
    "math": "AC AG AP AT CA CO CT CV DG DS FA GM GN GR GT HO IT KT LO MG MP NA NT OA OC PR "
    "QA RA RT SG SP ST",
    "astro-ph": "CO EP GA HE IM SR",
    "cond-mat": "dis-nn mes-hall mtrl-sci other quant-gas soft stat-mech str-el supr-con",
    "nlin": "AO CD CG PS SI",
    "physics": "acc-ph ao-ph app-ph atm-clus atom-ph bio-ph chem-ph class-ph comp-ph data-an "
    "ed-ph flu-dyn gen-ph geo-ph hist-ph ins-det med-ph optics plasm-ph pop-ph soc-ph space-ph",
    "q-bio": "BM CB GN MN NC OT PE QM SC TO",
    "q-fin": "CP EC GN MF PM PR RM ST TR",
    "stat": "AP CO ME ML OT TH",
}
# Archives that are categories themselves (no subject classes).
_SINGLE = ["gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph", "nucl-ex", "nucl-th",
           "quant-ph", "astro-ph", "cond-mat"]  # fmt: skip
# Archives whose OAI set lives under "physics:".
_PHYSICS = {"astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th",
            "math-ph", "nlin", "nucl-ex", "nucl-th", "physics", "quant-ph"}  # fmt: skip

KNOWN_CATEGORIES: frozenset[str] = frozenset(
    [f"{archive}.{sub}" for archive, subs in _GROUPS.items() for sub in subs.split()] + _SINGLE
)


def archive_of(category: str) -> str:
    return category.split(".", 1)[0]


def oai_set(category: str) -> str:
    """The OAI-PMH set holding a category: cs.CL -> cs, hep-th -> physics:hep-th."""
    archive = archive_of(category)
    return f"physics:{archive}" if archive in _PHYSICS else archive


def parse_categories(text: str) -> list[str]:
    """Split and check a comma-separated list; unknown codes are an error naming them."""
    wanted: list[str] = []
    for raw in text.replace(" ", ",").split(","):
        code = raw.strip()
        if code and code not in wanted:
            wanted.append(code)
    if not wanted:
        raise IngestError("no categories given (e.g. --categories cs.CL,cs.LG)")
    unknown = [c for c in wanted if c not in KNOWN_CATEGORIES]
    if unknown:
        hints = []
        lower = {c.lower(): c for c in KNOWN_CATEGORIES}
        for code in unknown:
            hint = lower.get(code.lower())
            hints.append(f"{code} (did you mean {hint}?)" if hint else code)
        raise IngestError(
            "unknown arXiv categor" + ("y: " if len(unknown) == 1 else "ies: ") + ", ".join(hints)
        )
    return wanted


def check_categories_setting(codes: list[str]) -> None:
    """PAPERWIRE_INGEST_CATEGORIES, checked when Django starts (every `paperwire` command,
    `serve` and `worker` first): a typo must stop them at once with one line, not fail
    the daily ingest run hours later."""
    value = ",".join(codes)
    if not value.replace(",", " ").strip():
        return  # no daily ingest
    try:
        parse_categories(value)
    except IngestError as exc:
        raise ValueError(
            f"PAPERWIRE_INGEST_CATEGORIES={value!r} names {exc}; "
            "use arXiv category codes separated by commas, e.g. cs.CL,cs.LG,stat.ML"
        ) from None
