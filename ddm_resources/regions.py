"""The Open Telekom Cloud regions this provider knows, and the endpoints each one documents.

Used when `ddm:authUrl` / `OS_AUTH_URL` or `ddm:endpoint` / `DDM_ENDPOINT` are not set: the
IAM URL and the DDM endpoint are then the region's (docs/ddm-api.md section 6, "Endpoints and
authentication"). Sources: OTC's "Regions and Endpoints" page (REGIONS: eu-de and eu-nl, IAM
at `iam.<region>.otc.t-systems.com`, DDM listed for eu-de only). The Swiss cloud (`eu-ch2`,
CH-IAM) has its own hosts with an `.sc.` infix; its IAM host `iam-pub.eu-ch2.sc.otc.t-systems.com`
is the one Swiss users' configurations and tools name (the official pages read give none), and
no DDM host is documented there: both are the best knowledge, which `ddm:authUrl` /
`ddm:endpoint` override.

A region missing from `REGIONS` gets the eu-de pattern (`iam.<region>.otc.t-systems.com`),
marked as derived: if that host does not exist, the first request fails once naming it and the
setting to give (`http_boundary`, `errors.UnknownHostError`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["REGIONS", "RegionEndpoints", "region_endpoints"]


@dataclass(frozen=True)
class RegionEndpoints:
    """Where IAM and DDM are in one region.

    `auth_url` is the IAM URL with its `/v3` path; `ddm` is the DDM API's base URL (no path).
    `known`: the region is one the OTC documentation names; `ddm_documented`: the DDM host
    itself is documented (else it follows the region's host pattern and may not exist)."""

    region: str
    auth_url: str
    ddm: str
    known: bool = True
    ddm_documented: bool = False

    def origin(self, what: str) -> str:
        """Where the `what` (`"auth_url"` or `"endpoint"`) of this region comes from, for messages."""
        if not self.known:
            return f"derived from region {self.region!r}, which the OTC documentation does not name"
        if what == "endpoint" and not self.ddm_documented:
            return f"region {self.region}'s host pattern; the OTC documentation lists no DDM endpoint there"
        return f"the documented endpoint of region {self.region}"


REGIONS: dict[str, RegionEndpoints] = {
    "eu-de": RegionEndpoints("eu-de", "https://iam.eu-de.otc.t-systems.com/v3", "https://ddm.eu-de.otc.t-systems.com",
                             ddm_documented=True),
    "eu-nl": RegionEndpoints("eu-nl", "https://iam.eu-nl.otc.t-systems.com/v3", "https://ddm.eu-nl.otc.t-systems.com"),
    "eu-ch2": RegionEndpoints("eu-ch2", "https://iam-pub.eu-ch2.sc.otc.t-systems.com/v3",
                              "https://ddm.eu-ch2.sc.otc.t-systems.com"),
}
"""The regions the OTC documentation names (Germany, Netherlands, Switzerland)."""


def region_endpoints(region: str) -> RegionEndpoints:
    """The endpoints of `region` (e.g. `"eu-ch2"`); for a region not in `REGIONS`, the eu-de
    host pattern with `known=False`."""
    known = REGIONS.get(region)
    if known is not None:
        return known
    return RegionEndpoints(region, f"https://iam.{region}.otc.t-systems.com/v3",
                           f"https://ddm.{region}.otc.t-systems.com", known=False)
