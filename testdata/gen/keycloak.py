#!/usr/bin/env python3
"""Writes testdata/keycloak/*.json: Keycloak realm exports as `kc.sh export --realm contoso --users skip --file F`
writes them, and a client exported from the admin console.

Shape: a RealmRepresentation serialized by Keycloak's Jackson pretty printer (`"key" : value`, two-space indent,
arrays inline as `[ a, b ]` with objects continued as `}, {`, empty containers as `[ ]` and `{ }`), top-level keys
in the order kc.sh export writes them. Built-in clients, client scopes, flows, authenticator configs and required
actions are Keycloak's defaults (trimmed: no realm keys or roles of the built-in clients). The realm is configured
for Microsoft Entra ID the way a Keycloak administrator does it: a SAML client whose client ID is Entra's entity ID
urn:federation:MicrosoftOnline, a User Attribute Mapper For NameID (persistent) and an IDPEmail attribute mapper.
The step-up variant uses the AuthnContextClassRef mapper and ACR-to-LoA mapping of Keycloak 26.6's SAML step-up
(preview feature step-up-authentication-saml) and the step-up flow of Keycloak's server administration guide.

Run from the repository root: python3 testdata/gen/keycloak.py
"""

import copy
import json
import os
import uuid

OUT = os.path.join(os.path.dirname(__file__), "..", "keycloak")
NS = uuid.UUID("5b9c2e4e-2f43-4c1a-9a77-6e2d7f3f1c10")
ENTRA = "urn:federation:MicrosoftOnline"
ACS = "https://login.microsoftonline.com/login.srf"
MFA = "http://schemas.microsoft.com/claims/multipleauthn"
PPT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"


def uid(name):
    return str(uuid.uuid5(NS, name))


# --- Jackson DefaultPrettyPrinter ----------------------------------------------------------------------------

def jackson(v, indent=0):
    pad = "  " * indent
    if isinstance(v, dict):
        if not v:
            return "{ }"
        inner = ",\n".join(f'{pad}  {json.dumps(k)} : {jackson(x, indent + 1)}' for k, x in v.items())
        return "{\n" + inner + "\n" + pad + "}"
    if isinstance(v, list):
        if not v:
            return "[ ]"
        return "[ " + ", ".join(jackson(x, indent) for x in v) + " ]"
    return json.dumps(v, ensure_ascii=False)


# --- Flows ---------------------------------------------------------------------------------------------------

def step(authenticator, requirement, priority, config=None):
    e = {}
    if config:
        e["authenticatorConfig"] = config
    e.update(
        {
            "authenticator": authenticator,
            "authenticatorFlow": False,
            "requirement": requirement,
            "priority": priority,
            "autheticatorFlow": False,
            "userSetupAllowed": False,
        }
    )
    return e


def sub(alias, requirement, priority):
    return {
        "authenticatorFlow": True,
        "requirement": requirement,
        "priority": priority,
        "autheticatorFlow": True,
        "flowAlias": alias,
        "userSetupAllowed": False,
    }


def flow(alias, description, executions, top=False, builtin=True, provider="basic-flow"):
    return {
        "id": uid("flow:" + alias),
        "alias": alias,
        "description": description,
        "providerId": provider,
        "topLevel": top,
        "builtIn": builtin,
        "authenticationExecutions": executions,
    }


BUILTIN_FLOWS = [
    flow(
        "Browser - Conditional OTP",
        "Flow to determine if the OTP is required for the authentication",
        [step("conditional-user-configured", "REQUIRED", 10), step("auth-otp-form", "REQUIRED", 20)],
    ),
    flow(
        "Direct Grant - Conditional OTP",
        "Flow to determine if the OTP is required for the authentication",
        [step("conditional-user-configured", "REQUIRED", 10), step("direct-grant-validate-otp", "REQUIRED", 20)],
    ),
    flow(
        "Reset - Conditional OTP",
        "Flow to determine if the OTP should be reset or not. Set to REQUIRED to force.",
        [step("conditional-user-configured", "REQUIRED", 10), step("reset-otp", "REQUIRED", 20)],
    ),
    flow(
        "browser",
        "browser based authentication",
        [
            step("auth-cookie", "ALTERNATIVE", 10),
            step("auth-spnego", "DISABLED", 20),
            step("identity-provider-redirector", "ALTERNATIVE", 25),
            sub("forms", "ALTERNATIVE", 30),
        ],
        top=True,
    ),
    flow(
        "clients",
        "Base authentication for clients",
        [
            step("client-secret", "ALTERNATIVE", 10),
            step("client-jwt", "ALTERNATIVE", 20),
            step("client-secret-jwt", "ALTERNATIVE", 30),
            step("client-x509", "ALTERNATIVE", 40),
        ],
        top=True,
        provider="client-flow",
    ),
    flow(
        "direct grant",
        "OpenID Connect Resource Owner Grant",
        [
            step("direct-grant-validate-username", "REQUIRED", 10),
            step("direct-grant-validate-password", "REQUIRED", 20),
            sub("Direct Grant - Conditional OTP", "CONDITIONAL", 30),
        ],
        top=True,
    ),
    flow(
        "forms",
        "Username, password, otp and other auth forms.",
        [step("auth-username-password-form", "REQUIRED", 10), sub("Browser - Conditional OTP", "CONDITIONAL", 20)],
    ),
    flow(
        "reset credentials",
        "Reset credentials for a user if they forgot their password or something",
        [
            step("reset-credentials-choose-user", "REQUIRED", 10),
            step("reset-credential-email", "REQUIRED", 20),
            step("reset-password", "REQUIRED", 30),
            sub("Reset - Conditional OTP", "CONDITIONAL", 40),
        ],
        top=True,
    ),
]

# The step-up flow of the server administration guide ("Creating a browser login flow with step-up mechanism").
STEP_UP_FLOWS = [
    flow(
        "Browser Incl Step up Mechanism",
        "",
        [step("auth-cookie", "ALTERNATIVE", 0), sub("Auth Flow", "ALTERNATIVE", 1)],
        top=True,
        builtin=False,
    ),
    flow(
        "Auth Flow",
        "",
        [sub("1st Condition Flow", "CONDITIONAL", 0), sub("2nd Condition Flow", "CONDITIONAL", 1)],
        builtin=False,
    ),
    flow(
        "1st Condition Flow",
        "",
        [
            step("conditional-level-of-authentication", "REQUIRED", 0, config="Level 1"),
            step("auth-username-password-form", "REQUIRED", 1),
        ],
        builtin=False,
    ),
    flow(
        "2nd Condition Flow",
        "",
        [
            step("conditional-level-of-authentication", "REQUIRED", 0, config="Level 2"),
            step("auth-otp-form", "REQUIRED", 1),
        ],
        builtin=False,
    ),
]
STEP_UP_CONFIGS = [
    {"id": uid("config:Level 1"), "alias": "Level 1", "config": {"loa-condition-level": "1", "loa-max-age": "36000"}},
    {"id": uid("config:Level 2"), "alias": "Level 2", "config": {"loa-condition-level": "2", "loa-max-age": "0"}},
]

REQUIRED_ACTIONS = [
    ("CONFIGURE_TOTP", "Configure OTP", True, 10),
    ("TERMS_AND_CONDITIONS", "Terms and Conditions", False, 20),
    ("UPDATE_PASSWORD", "Update Password", True, 30),
    ("UPDATE_PROFILE", "Update Profile", True, 40),
    ("VERIFY_EMAIL", "Verify Email", True, 50),
    ("delete_account", "Delete Account", False, 60),
    ("webauthn-register", "Webauthn Register", True, 70),
    ("webauthn-register-passwordless", "Webauthn Register Passwordless", True, 80),
    ("update_user_locale", "Update User Locale", True, 1000),
]


# --- Clients -------------------------------------------------------------------------------------------------

def builtin_client(client_id, name, public=True, bearer=False, redirect=None, base=None):
    c = {"id": uid("client:" + client_id), "clientId": client_id, "name": name}
    if base:
        c["rootUrl"] = "${authBaseUrl}"
        c["baseUrl"] = base
    c.update(
        {
            "surrogateAuthRequired": False,
            "enabled": True,
            "alwaysDisplayInConsole": False,
            "clientAuthenticatorType": "client-secret",
            "redirectUris": redirect or [],
            "webOrigins": [],
            "notBefore": 0,
            "bearerOnly": bearer,
            "consentRequired": False,
            "standardFlowEnabled": True,
            "implicitFlowEnabled": False,
            "directAccessGrantsEnabled": False,
            "serviceAccountsEnabled": False,
            "publicClient": public,
            "frontchannelLogout": False,
            "protocol": "openid-connect",
            "attributes": {"post.logout.redirect.uris": "+"},
            "authenticationFlowBindingOverrides": {},
            "fullScopeAllowed": False,
            "nodeReRegistrationTimeout": 0,
            "defaultClientScopes": ["web-origins", "acr", "profile", "roles", "basic", "email"],
            "optionalClientScopes": ["address", "phone", "offline_access", "microprofile-jwt"],
        }
    )
    return c


def mapper(name, kind, config):
    return {
        "id": uid("mapper:" + name),
        "name": name,
        "protocol": "saml",
        "protocolMapper": kind,
        "consentRequired": False,
        "config": config,
    }


NAMEID_MAPPER = mapper(
    "ImmutableID as NameID",
    "saml-user-attribute-nameid-mapper",
    {"mapper.nameid.format": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", "user.attribute": "immutableId"},
)
IDPEMAIL_MAPPER = mapper(
    "IDPEmail",
    "saml-user-attribute-mapper",
    {
        "aggregate.attrs": "false",
        "attribute.nameformat": "Basic",
        "user.attribute": "userPrincipalName",
        "friendly.name": "IDPEmail",
        "attribute.name": "IDPEmail",
    },
)
AUTHN_CONTEXT_MAPPER = mapper("AuthnContextClassRef", "saml-authn-context-class-ref-mapper", {})


def entra_client(signed=True, step_up=False):
    attributes = {
        "saml.assertion.signature": "true" if signed else "false",
        "saml.force.post.binding": "true",
        "saml_assertion_consumer_url_post": ACS,
        "saml.encrypt": "false",
        "saml.server.signature": "true",
        "saml.server.signature.keyinfo.ext": "false",
        "realm_client": "false",
        "saml.artifact.binding": "false",
        "saml.signature.algorithm": "RSA_SHA256",
        "saml_force_name_id_format": "false",
        "saml.client.signature": "false",
        "saml.authnstatement": "true",
        "display.on.consent.screen": "false",
        "saml_name_id_format": "persistent",
        "saml.allow.ecp.flow": "false",
        "saml_signature_canonicalization_method": "http://www.w3.org/2001/10/xml-exc-c14n#",
        "saml.onetimeuse.condition": "false",
        "saml.server.signature.keyinfo.xmlSigKeyInfoKeyNameTransformer": "KEY_ID",
    }
    mappers = [NAMEID_MAPPER, IDPEMAIL_MAPPER]
    overrides = {}
    if step_up:
        attributes["acr.loa.map"] = json.dumps({PPT: 1, MFA: 2}, separators=(",", ":"))
        attributes["minimum.acr.value"] = MFA
        mappers.append(AUTHN_CONTEXT_MAPPER)
        overrides = {"browser": uid("flow:Browser Incl Step up Mechanism")}
    return {
        "id": uid("client:" + ENTRA),
        "clientId": ENTRA,
        "name": "Microsoft Entra ID",
        "description": "contoso.test federated to Keycloak",
        "rootUrl": "",
        "adminUrl": "",
        "baseUrl": "",
        "surrogateAuthRequired": False,
        "enabled": True,
        "alwaysDisplayInConsole": False,
        "clientAuthenticatorType": "client-secret",
        "redirectUris": [ACS],
        "webOrigins": [],
        "notBefore": 0,
        "bearerOnly": False,
        "consentRequired": False,
        "standardFlowEnabled": True,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "serviceAccountsEnabled": False,
        "publicClient": True,
        "frontchannelLogout": True,
        "protocol": "saml",
        "attributes": attributes,
        "authenticationFlowBindingOverrides": overrides,
        "fullScopeAllowed": True,
        "nodeReRegistrationTimeout": -1,
        "protocolMappers": mappers,
        "defaultClientScopes": ["role_list", "saml_organization"],
        "optionalClientScopes": [],
    }


SAML_SCOPES = [
    {
        "id": uid("scope:role_list"),
        "name": "role_list",
        "description": "SAML role list",
        "protocol": "saml",
        "attributes": {"consent.screen.text": "${samlRoleListScopeConsentText}", "display.on.consent.screen": "true"},
        "protocolMappers": [
            mapper("role list", "saml-role-list-mapper", {"single": "false", "attribute.nameformat": "Basic", "attribute.name": "Role"})
        ],
    },
    {
        "id": uid("scope:saml_organization"),
        "name": "saml_organization",
        "description": "Organization Membership",
        "protocol": "saml",
        "attributes": {"display.on.consent.screen": "false"},
        "protocolMappers": [mapper("organization", "saml-organization-membership-mapper", {})],
    },
]


def realm(version, client, extra_flows=(), extra_configs=()):
    modern = not version.startswith("24.")
    r = {
        "id": uid("realm:contoso"),
        "realm": "contoso",
        "displayName": "Contoso",
        "notBefore": 0,
        "defaultSignatureAlgorithm": "RS256",
        "revokeRefreshToken": False,
        "refreshTokenMaxReuse": 0,
        "accessTokenLifespan": 300,
        "accessTokenLifespanForImplicitFlow": 900,
        "ssoSessionIdleTimeout": 1800,
        "ssoSessionMaxLifespan": 36000,
        "ssoSessionIdleTimeoutRememberMe": 0,
        "ssoSessionMaxLifespanRememberMe": 0,
        "offlineSessionIdleTimeout": 2592000,
        "offlineSessionMaxLifespanEnabled": False,
        "offlineSessionMaxLifespan": 5184000,
        "clientSessionIdleTimeout": 0,
        "clientSessionMaxLifespan": 0,
        "clientOfflineSessionIdleTimeout": 0,
        "clientOfflineSessionMaxLifespan": 0,
        "accessCodeLifespan": 60,
        "accessCodeLifespanUserAction": 300,
        "accessCodeLifespanLogin": 1800,
        "actionTokenGeneratedByAdminLifespan": 43200,
        "actionTokenGeneratedByUserLifespan": 300,
        "oauth2DeviceCodeLifespan": 600,
        "oauth2DevicePollingInterval": 5,
        "enabled": True,
        "sslRequired": "external",
        "registrationAllowed": False,
        "registrationEmailAsUsername": False,
        "rememberMe": False,
        "verifyEmail": False,
        "loginWithEmailAllowed": True,
        "duplicateEmailsAllowed": False,
        "resetPasswordAllowed": False,
        "editUsernameAllowed": False,
        "bruteForceProtected": True,
        "permanentLockout": False,
        "maxTemporaryLockouts": 0,
        "maxFailureWaitSeconds": 900,
        "minimumQuickLoginWaitSeconds": 60,
        "waitIncrementSeconds": 60,
        "quickLoginCheckMilliSeconds": 1000,
        "maxDeltaTimeSeconds": 43200,
        "failureFactor": 30,
        "groups": [],
        "requiredCredentials": ["password"],
        "otpPolicyType": "totp",
        "otpPolicyAlgorithm": "HmacSHA1",
        "otpPolicyInitialCounter": 0,
        "otpPolicyDigits": 6,
        "otpPolicyLookAheadWindow": 1,
        "otpPolicyPeriod": 30,
        "otpPolicyCodeReusable": False,
        "otpSupportedApplications": ["totpAppFreeOTPName", "totpAppGoogleName", "totpAppMicrosoftAuthenticatorName"],
        "clients": [
            builtin_client("account", "${client_account}", redirect=["/realms/contoso/account/*"], base="/realms/contoso/account/"),
            builtin_client("admin-cli", "${client_admin-cli}"),
            builtin_client("broker", "${client_broker}", public=False, bearer=True),
            client,
            builtin_client("realm-management", "${client_realm-management}", public=False, bearer=True),
        ],
        "clientScopes": SAML_SCOPES if modern else SAML_SCOPES[:1],
        "defaultDefaultClientScopes": (["role_list", "saml_organization"] if modern else ["role_list"])
        + ["profile", "email", "roles", "web-origins", "acr", "basic"],
        "defaultOptionalClientScopes": ["offline_access", "address", "phone", "microprofile-jwt", "organization"],
        "smtpServer": {},
        "eventsEnabled": False,
        "eventsListeners": ["jboss-logging"],
        "enabledEventTypes": [],
        "adminEventsEnabled": False,
        "adminEventsDetailsEnabled": False,
        "identityProviders": [],
        "identityProviderMappers": [],
        "internationalizationEnabled": False,
        "supportedLocales": [],
        "authenticationFlows": sorted(BUILTIN_FLOWS + list(extra_flows), key=lambda f: f["alias"]),
        "authenticatorConfig": list(extra_configs),
        "requiredActions": [
            {
                "alias": a,
                "name": n,
                "providerId": a,
                "enabled": e,
                "defaultAction": False,
                "priority": p,
                "config": {},
            }
            for a, n, e, p in REQUIRED_ACTIONS
        ],
        "browserFlow": "browser",
        "registrationFlow": "registration",
        "directGrantFlow": "direct grant",
        "resetCredentialsFlow": "reset credentials",
        "clientAuthenticationFlow": "clients",
        "dockerAuthenticationFlow": "docker auth",
        "firstBrokerLoginFlow": "first broker login",
        "attributes": {
            "cibaBackchannelTokenDeliveryMode": "poll",
            "cibaExpiresIn": "120",
            "cibaAuthRequestedUserHint": "login_hint",
            "parRequestUriLifespan": "60",
            "cibaInterval": "5",
            "realmReusableOtpCode": "false",
        },
        "keycloakVersion": version,
        "userManagedAccessAllowed": False,
        "clientProfiles": {"profiles": []},
        "clientPolicies": {"policies": []},
    }
    if modern:
        # Keycloak 26 exports the organizations switch after userManagedAccessAllowed.
        keys = list(r)
        i = keys.index("userManagedAccessAllowed") + 1
        r = dict(list(r.items())[:i] + [("organizationsEnabled", False)] + list(r.items())[i:])
    else:
        client["defaultClientScopes"] = ["role_list"]
    return r


def write(name, value, style="jackson"):
    text = jackson(value) if style == "jackson" else json.dumps(value, indent=2, ensure_ascii=False)
    with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
        f.write(text)


os.makedirs(OUT, exist_ok=True)
write("realm-default.json", realm("24.0.5", entra_client()))
write(
    "realm-step-up.json",
    realm("26.6.1", entra_client(step_up=True), STEP_UP_FLOWS, STEP_UP_CONFIGS),
)
write(
    "realm-unsigned.json",
    realm("26.6.1", entra_client(signed=False, step_up=True), STEP_UP_FLOWS, STEP_UP_CONFIGS),
)
# The admin console's Clients > Action > Export writes the client alone (JSON.stringify, two spaces), without ids.
exported = copy.deepcopy(entra_client())
for k in ["id"]:
    exported.pop(k)
for m in exported["protocolMappers"]:
    m.pop("id")
write("client-export.json", exported, style="console")
