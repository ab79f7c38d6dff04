"""Test helper: eark-validator 1.1.3 (E-ARK CSIP/SIP, profile V2.1.0) on a package, offline, and the
METS XML schema check against the package's own schemas/.

eark-validator downloads four CSIP vocabularies when it is imported. The validator runs in a child
process whose ``urllib.request.urlopen`` serves them from tests/data/eark-vocab/ (copies from
DILCISBoard/E-ARK-CSIP, schema/) and whose sockets refuse to connect: no test touches the network.

Known validator defect, and the only validator error set aside: eark-validator 1.1.3's SIP14 fires on
every note of every ROLE="CREATOR" agent, while its own CSIP11-16 require the CREATOR agent to be the
creating software with exactly one note, csip:NOTETYPE="SOFTWARE VERSION". In the E-ARK SIP 2.1.0
specification SIP14 belongs to the archival creator (ROLE="ARCHIVIST"). So a SIP14 error is set aside
only when every CREATOR agent of that METS is exactly that software agent, and SIP14 is always checked
as the specification words it: the ARCHIVIST agent has a note csip:NOTETYPE="IDENTIFICATIONCODE"
holding the organisation number. eark-validator 1.1.3 applies its CSIP/SIP rules to the root METS.xml
only; representation METS files are checked against the XSDs (``schema_errors``).
"""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

VOCAB = Path(__file__).resolve().parent / "data" / "eark-vocab"
METS = "{http://www.loc.gov/METS/}"
CSIP = "{https://DILCIS.eu/XML/METS/CSIPExtensionMETS}"
XLINK_URL = "http://www.loc.gov/standards/xlink/xlink.xsd"

_CHILD = r"""
import io, json, socket, sys, urllib.request
from pathlib import Path

vocab, package = Path(sys.argv[1]), Path(sys.argv[2])

def offline_urlopen(url, *args, **kwargs):
    url = getattr(url, "full_url", url)
    local = vocab / str(url).rsplit("/", 1)[-1]
    if not local.is_file():
        raise OSError(f"offline test: no local copy of {url}")
    return io.BytesIO(local.read_bytes())

def no_network(self, *args, **kwargs):
    raise OSError("offline test: network access refused")

urllib.request.urlopen = offline_urlopen
socket.socket.connect = no_network
socket.socket.connect_ex = no_network

from eark_validator.packages import PackageValidator
from eark_validator.specifications.specification import SpecificationVersion

report = PackageValidator(package, SpecificationVersion.V2_1_0).validation_report
print("REPORT " + report.model_dump_json())
"""


@dataclass
class EarkResult:
    """What eark-validator said about one package, with the known SIP14 defect handled."""

    structure: str
    schema: str | None
    errors: list[tuple[str, str]] = field(default_factory=list)  # (rule id, message), severity Error
    set_aside: list[tuple[str, str]] = field(default_factory=list)  # SIP14 on the software CREATOR agent

    @property
    def ok(self) -> bool:
        return self.structure == "WellFormed" and self.schema == "VALID" and not self.errors


def run_validator(package: Path) -> dict:
    """eark-validator's JSON report for one package folder (run offline in a child process)."""
    r = subprocess.run([sys.executable, "-c", _CHILD, str(VOCAB), str(package)],
                       capture_output=True, text=True, timeout=600)
    lines = [line[len("REPORT "):] for line in r.stdout.splitlines() if line.startswith("REPORT ")]
    if r.returncode != 0 or not lines:
        raise RuntimeError(f"eark-validator failed (exit {r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return json.loads(lines[-1])


def _agents(mets: Path) -> list:
    return etree.parse(str(mets)).getroot().findall(f"{METS}metsHdr/{METS}agent")


def creator_is_software_agent(agents: list) -> bool:
    """True when there is a CREATOR agent and each is the software agent with one SOFTWARE VERSION note."""
    creators = [a for a in agents if a.get("ROLE") == "CREATOR"]
    if not creators:
        return False
    for a in creators:
        notes = a.findall(f"{METS}note")
        if (a.get("TYPE"), a.get("OTHERTYPE")) != ("OTHER", "SOFTWARE") or len(notes) != 1:
            return False
        if notes[0].get(f"{CSIP}NOTETYPE") != "SOFTWARE VERSION" or notes[0].get("NOTETYPE") is not None:
            return False
    return True


def archivist_sip14(agents: list, organisationsnummer: str) -> list[tuple[str, str]]:
    """SIP14 as E-ARK SIP 2.1.0 words it: the ARCHIVIST agent's note is typed IDENTIFICATIONCODE
    (and here holds the organisation number)."""
    archivists = [a for a in agents if a.get("ROLE") == "ARCHIVIST"]
    if not archivists:
        return [("SIP14", "specification: no ARCHIVIST (archival creator) agent")]
    errors = []
    for a in archivists:
        notes = a.findall(f"{METS}note")
        if any(n.get(f"{CSIP}NOTETYPE") != "IDENTIFICATIONCODE" for n in notes):
            errors.append(("SIP14", "specification: an ARCHIVIST agent note lacks csip:NOTETYPE=\"IDENTIFICATIONCODE\""))
        if not any(n.get(f"{CSIP}NOTETYPE") == "IDENTIFICATIONCODE" and (n.text or "").strip() == organisationsnummer
                   for n in notes):
            errors.append(("SIP14", f"specification: the ARCHIVIST agent has no IDENTIFICATIONCODE note "
                                    f"holding {organisationsnummer!r}"))
    return errors


def validate(package: Path, organisationsnummer: str) -> EarkResult:
    """Validate one package folder; SIP14 handled as the module docstring says."""
    report = run_validator(package)
    meta = report.get("metadata") or {}
    messages = [m for m in report["structure"].get("messages", []) if m["severity"] == "Error"]
    for key in ("schema_results", "schematron_results"):
        messages += [m for m in (meta.get(key) or {}).get("messages", []) if m["severity"] == "Error"]
    # eark-validator 1.1.3 runs its CSIP/SIP rules on the root METS.xml only: that is "that METS"
    agents = _agents(package / "METS.xml") if (package / "METS.xml").is_file() else []
    defect = creator_is_software_agent(agents)
    result = EarkResult(structure=report["structure"]["status"],
                        schema=(meta.get("schema_results") or {}).get("status"))
    for m in messages:
        entry = (m["rule_id"], m["message"])
        (result.set_aside if m["rule_id"] == "SIP14" and defect else result.errors).append(entry)
    result.errors += archivist_sip14(agents, organisationsnummer)
    return result


def _resolver(schemas: Path):
    class Local(etree.Resolver):
        """Serves mets.xsd's import of the xlink schema from the package; nothing from the network."""

        def resolve(self, url, pubid, context):
            if url == XLINK_URL:
                return self.resolve_filename(str(schemas / "xlink.xsd"), context)
            return None
    return Local()


def mets_schema(schemas: Path) -> etree.XMLSchema:
    """METS with the xlink, CSIP and SIP extension schemas, all read from the folder schemas."""
    imports = "".join(f'<xs:import namespace="{ns}" schemaLocation="{(schemas / name).as_uri()}"/>' for ns, name in (
        ("http://www.loc.gov/METS/", "mets.xsd"),
        ("http://www.w3.org/1999/xlink", "xlink.xsd"),
        ("https://DILCIS.eu/XML/METS/CSIPExtensionMETS", "DILCISExtensionMETS.xsd"),
        ("https://DILCIS.eu/XML/METS/SIPExtensionMETS", "DILCISExtensionSIPMETS.xsd")))
    driver = f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_resolver(schemas))
    return etree.XMLSchema(etree.fromstring(driver.encode(), parser, base_url=(schemas / "driver.xsd").as_uri()))


def schema_errors(package: Path) -> dict[str, list[str]]:
    """Every METS of the package against the package's own schemas/, and arende.xml against docgen-erms.xsd.

    Returns {relative path: [errors]} for each file checked (an empty list: valid).
    """
    schemas = package / "schemas"
    mets = mets_schema(schemas)
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    erms = etree.XMLSchema(etree.parse(str(schemas / "docgen-erms.xsd"), parser))
    checks = [(package / "METS.xml", mets)]
    checks += [(p, mets) for p in sorted(package.glob("representations/*/METS.xml"))]
    checks += [(package / "metadata" / "descriptive" / "arende.xml", erms)]
    out = {}
    for path, schema in checks:
        doc = etree.parse(str(path), parser)
        schema.validate(doc)
        out[path.relative_to(package).as_posix()] = [f"{e.line}: {e.message}" for e in schema.error_log]
    return out
