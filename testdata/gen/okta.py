#!/usr/bin/env python3
"""Writes testdata/okta/*.json: Okta Management API responses for the Microsoft Office 365 app and the rules of its
authentication policy, as `curl ... | jq .` prints them, and the two combined by `jq -s . app.json rules.json`.

Shapes: the Application object of GET /api/v1/apps/{appId} (Office365Application: name office365, signOnMode
SAML_1_1 for WS-Federation, settings.app with the keys the Okta Terraform provider round-trips for the office365
app), and the AccessPolicyRule objects of GET /api/v1/policies/{policyId}/rules (type ACCESS_POLICY,
actions.appSignOn.verificationMethod with type ASSURANCE and factorMode 1FA / 2FA), as the Okta Management OpenAPI
specification (okta/okta-management-openapi-spec, dist/current/management-oneOfInheritance.yaml) defines and
exemplifies them.

Run from the repository root: python3 testdata/gen/okta.py
"""

import json
import os

OUT = os.path.join(os.path.dirname(__file__), "..", "okta")
ORG = "https://contoso.okta.com"
APP_ID = "0oa9x2k7qhXbP3wLd697"
POLICY_ID = "rst9x2k84vTsAqLiN697"
STAFF = "00g9x2k3mwYcZqTbE697"
SERVICE = "00g9x2k5r1HvUoPjS697"
LINKS = [
    "calendar", "crm", "delve", "excel", "forms", "mail", "newsfeed", "onedrive", "people", "planner", "powerbi",
    "powerpoint", "sites", "sway", "tasks", "teams", "video", "word", "yammer", "login",
]


def app():
    return {
        "id": APP_ID,
        "orn": f"orn:okta:idp:00o9x2k0cdOaMq1nR697:apps:office365:{APP_ID}",
        "name": "office365",
        "label": "Microsoft Office 365",
        "status": "ACTIVE",
        "lastUpdated": "2026-01-05T09:12:44.000Z",
        "created": "2025-11-20T14:03:10.000Z",
        "accessibility": {"selfService": False, "errorRedirectUrl": None, "loginRedirectUrl": None},
        "visibility": {
            "autoLaunch": False,
            "autoSubmitToolbar": False,
            "hide": {"iOS": False, "web": False},
            "appLinks": {f"office365_{l}": l == "login" for l in LINKS},
        },
        "features": [],
        "signOnMode": "SAML_1_1",
        "credentials": {
            "userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"},
            "signing": {"kid": "Qe6dUgYy1bpgL4XJ2pGHjC2zYHSNS5tDxMNFL1r5oSs"},
        },
        "settings": {
            "app": {
                "tenantType": None,
                "wsFedConfigureType": "AUTO",
                "windowsTransportEnabled": False,
                "domain": "contoso.test",
                "msftTenant": "contoso",
                "domains": [],
                "office365ProvisioningType": None,
                "requireAdminConsent": False,
                "office365FlexibleProvisioningMode": None,
            },
            "notifications": {"vpn": {"network": {"connection": "DISABLED"}, "message": None, "helpUrl": None}},
            "manualProvisioning": False,
            "implicitAssignment": False,
            "notes": {"admin": None, "enduser": None},
            "signOn": {
                "defaultRelayState": None,
                "audienceOverride": None,
                "recipientOverride": None,
                "ssoAcsUrlOverride": None,
            },
        },
        "_links": {
            "help": {
                "href": f"https://contoso-admin.okta.com/app/office365/{APP_ID}/setup/help/SAML_1_1/instructions",
                "type": "text/html",
            },
            "accessPolicy": {"href": f"{ORG}/api/v1/policies/{POLICY_ID}"},
            "users": {"href": f"{ORG}/api/v1/apps/{APP_ID}/users"},
            "deactivate": {"href": f"{ORG}/api/v1/apps/{APP_ID}/lifecycle/deactivate"},
            "groups": {"href": f"{ORG}/api/v1/apps/{APP_ID}/groups"},
        },
    }


def rule(rule_id, name, priority, people, access, factor_mode, system=False, constraints=None):
    conditions = None
    if people is not None:
        conditions = {
            "people": people,
            "network": {"connection": "ANYWHERE"},
            "riskScore": {"level": "ANY"},
            "userType": {"include": [], "exclude": []},
        }
    vm = {"factorMode": factor_mode, "type": "ASSURANCE", "reauthenticateIn": "PT12H", "constraints": constraints or []}
    return {
        "id": rule_id,
        "status": "ACTIVE",
        "name": name,
        "priority": priority,
        "created": "2025-11-20T14:05:31.000Z",
        "lastUpdated": "2026-01-05T09:20:02.000Z",
        "system": system,
        "conditions": conditions,
        "actions": {"appSignOn": {"access": access, "verificationMethod": vm}},
        "type": "ACCESS_POLICY",
        "_links": {
            "self": {
                "href": f"{ORG}/api/v1/policies/{POLICY_ID}/rules/{rule_id}",
                "hints": {"allow": ["GET", "PUT"] if system else ["GET", "PUT", "DELETE"]},
            },
            "deactivate": {
                "href": f"{ORG}/api/v1/policies/{POLICY_ID}/rules/{rule_id}/lifecycle/deactivate",
                "hints": {"allow": ["POST"]},
            },
        },
    }


PASSWORD = [{"knowledge": {"required": True, "types": ["password"]}}]
PASSWORD_AND_POSSESSION = [
    {"knowledge": {"required": True, "types": ["password"]}, "possession": {"required": True, "userPresence": "REQUIRED"}}
]


def rules_mfa():
    return [
        rule(
            "rul9x2kb3aPz0EvMq697",
            "Staff: password and another factor",
            0,
            {"users": {"exclude": []}, "groups": {"include": [STAFF]}},
            "ALLOW",
            "2FA",
            constraints=PASSWORD_AND_POSSESSION,
        ),
        rule("rul9x2k8wqCatchAll697", "Catch-all Rule", 99, None, "DENY", "2FA", system=True),
    ]


def rules_exempt():
    return [
        rule(
            "rul9x2kd1nWfS6cXo697",
            "Service accounts: password only",
            0,
            {"users": {"exclude": []}, "groups": {"include": [SERVICE]}},
            "ALLOW",
            "1FA",
            constraints=PASSWORD,
        ),
        rule(
            "rul9x2kb3aPz0EvMq697",
            "Staff: password and another factor",
            1,
            {"users": {"exclude": []}, "groups": {"include": [STAFF]}},
            "ALLOW",
            "2FA",
            constraints=PASSWORD_AND_POSSESSION,
        ),
        rule("rul9x2k8wqCatchAll697", "Catch-all Rule", 99, None, "ALLOW", "1FA", system=True),
    ]


def write(name, value):
    with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
        f.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


os.makedirs(OUT, exist_ok=True)
write("app-office365.json", app())
write("rules-mfa.json", rules_mfa())
write("rules-exempt.json", rules_exempt())
write("o365-mfa.json", [app(), rules_mfa()])
write("o365-exempt.json", [app(), rules_exempt()])
