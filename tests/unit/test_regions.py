"""`regions`: the OTC regions and their documented IAM and DDM endpoints (issue 23 item 6).
"""

from __future__ import annotations

import pytest

from ddm_resources.settings import resolve_settings


def settings(config=None, env=None):
    config = config or {}
    return resolve_settings(config.get, env or {})


# item 6 and 12: the regions' endpoints; a host that does not exist -----------------------------


@pytest.mark.parametrize("region, auth_url, endpoint", [
    ("eu-de", "https://iam.eu-de.otc.t-systems.com/v3", "https://ddm.eu-de.otc.t-systems.com"),
    ("eu-nl", "https://iam.eu-nl.otc.t-systems.com/v3", "https://ddm.eu-nl.otc.t-systems.com"),
    ("eu-ch2", "https://iam-pub.eu-ch2.sc.otc.t-systems.com/v3", "https://ddm.eu-ch2.sc.otc.t-systems.com"),
])
def test_each_documented_region_has_its_endpoints(region, auth_url, endpoint):
    s = settings(env={"OS_USERNAME": "u", "OS_PASSWORD": "p", "OS_DOMAIN_NAME": "d", "OS_PROJECT_NAME": f"{region}_x"})
    assert (s.region, s.auth_url, s.endpoint) == (region, auth_url, endpoint)
    assert "auth_url" not in s.origins and "endpoint" not in s.origins
