#!/usr/bin/env python3
"""Writes the sign-in log and Partner Center fixtures of testdata/signins/ and testdata/partner/ from one scenario,
in the exact shape of each producer (see testdata/README.md, "Sign-in logs", for the source of every shape).

Run from anywhere: python3 testdata/signins/gen.py. Standard library only; the output is deterministic.
"""
import csv
import datetime as dt
import io
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
PARTNER = os.path.join(os.path.dirname(HERE), "partner")
TENANT = "6e6aef4a-4ca9-40a8-b5bf-b53a1923c540"

CLAIM = "MFA requirement satisfied by claim provided by external provider"
FIRST_FACTOR_CLAIM = "First factor requirement satisfied by claim in the token"
MFA_TOKEN = "MFA requirement satisfied by claim in the token"
MFA_DONE = "MFA successfully completed"
MFA_DEVICE = "MFA requirement satisfied by multi-factor device"

APPS = {
    "portal": ("Azure Portal", "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"),
    "exo": ("Office 365 Exchange Online", "00000002-0000-0ff1-ce00-000000000000"),
    "pc": ("Microsoft Partner Center", "4990cffe-04e8-4e8b-808a-1175604b879f"),
}
USERS = {
    "alice": ("Alice Federated", "11111111-aaaa-4aaa-8aaa-000000000001", "alice@contoso.test"),
    "bob": ("Bob Federated", "11111111-aaaa-4aaa-8aaa-000000000002", "bob@contoso.test"),
    "carol": ("Carol Cloud", "11111111-aaaa-4aaa-8aaa-000000000003", "carol@contoso.test"),
    "dave": ("Dave Failed", "11111111-aaaa-4aaa-8aaa-000000000004", "dave@contoso.test"),
    "erin": ("Erin Session", "11111111-aaaa-4aaa-8aaa-000000000005", "erin@contoso.test"),
    "frank": ("Frank Device", "11111111-aaaa-4aaa-8aaa-000000000006", "frank@contoso.test"),
}


def step(when, method, detail, ok, result, requirement):
    return {
        "authenticationStepDateTime": when,
        "authenticationMethod": method,
        "authenticationMethodDetail": detail,
        "succeeded": ok,
        "authenticationStepResultDetail": result,
        "authenticationStepRequirement": requirement,
    }


def scenario():
    """(user, app, minute, errorCode, failureReason, additionalDetails, steps, requirement, issuer type, incoming)."""
    federated = ("ADFederationServices", "saml11")
    cloud = ("AzureAD", "none")
    S = []
    # alice: federated, MFA by the IdP's claim; one sign-in reads singleFactorAuthentication (the doc's caveat).
    S.append(("alice", "portal", 0, 0, None, CLAIM,
              [("Password", "Password in AD FS", True, FIRST_FACTOR_CLAIM, "Primary authentication"),
               ("Claim in the token", None, True, CLAIM, "Multi-factor authentication")],
              "multiFactorAuthentication", federated))
    S.append(("alice", "pc", 20, 0, None, CLAIM,
              [("Claim in the token", None, True, CLAIM, "Multi-factor authentication")],
              "singleFactorAuthentication", federated))
    # bob: federated, the IdP sent no MFA claim; nothing required MFA.
    S.append(("bob", "exo", 5, 0, None, None,
              [("Password", "Password in AD FS", True, FIRST_FACTOR_CLAIM, "Primary authentication")],
              "singleFactorAuthentication", federated))
    S.append(("bob", "pc", 25, 0, None, None,
              [("Password", "Password in AD FS", True, FIRST_FACTOR_CLAIM, "Primary authentication")],
              "singleFactorAuthentication", federated))
    # carol: cloud-only, Entra's MFA.
    S.append(("carol", "portal", 10, 0, None, MFA_DONE,
              [("Password", "Password in the cloud", True, "Correct password", "Primary authentication"),
               ("Mobile app notification", "Microsoft Authenticator", True, MFA_DONE, "Multi-factor authentication")],
              "multiFactorAuthentication", cloud))
    # dave: wrong password, then interrupted at the MFA prompt (50074): no successful sign-in.
    S.append(("dave", "portal", 12, 50126, "Error validating credentials due to invalid username or password.", None,
              [("Password", "Password in the cloud", False, "Invalid username or password or Invalid on-premise username or password.", "Primary authentication")],
              "singleFactorAuthentication", cloud))
    S.append(("dave", "portal", 13, 50074, "Strong Authentication is required.", "MFA required in Azure AD",
              [("Password", "Password in the cloud", True, "Correct password", "Primary authentication")],
              "multiFactorAuthentication", cloud))
    # erin: MFA satisfied earlier in the session (claim in the token); a failed MFA step does not count.
    S.append(("erin", "exo", 15, 0, None, MFA_TOKEN,
              [("Previously satisfied", None, True, MFA_TOKEN, "Multi-factor authentication"),
               ("Mobile app notification", None, False, "MFA successfully completed", "Multi-factor authentication")],
              "multiFactorAuthentication", cloud))
    # frank: a result string the rule does not list.
    S.append(("frank", "portal", 30, 0, None, None,
              [("Windows Hello for Business", None, True, MFA_DEVICE, "Primary authentication")],
              "multiFactorAuthentication", cloud))
    return S


def when(minute, second=0):
    return dt.datetime(2026, 1, 15, 9, 0, 0, tzinfo=dt.timezone.utc) + dt.timedelta(minutes=minute, seconds=second)


def iso7(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%07dZ" % (t.microsecond * 10)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def graph_record(i, s, beta=False):
    user, app, minute, code, reason, details, steps, req, (issuer, incoming) = s
    name, uid, upn = USERS[user]
    app_name, app_id = APPS[app]
    t = when(minute)
    rid = "%08x-6301-4ee5-be62-ff5a759b%04d" % (0x66ea54eb + i, i)
    r = {
        "id": rid,
        "createdDateTime": iso(t),
        "userDisplayName": name,
        "userPrincipalName": upn,
        "userId": uid,
        "appId": app_id,
        "appDisplayName": app_name,
        "ipAddress": "203.0.113.%d" % (10 + i),
        "ipAddressFromResourceProvider": None,
        "clientAppUsed": "Browser",
        "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
        "correlationId": "d79f5bee-5860-4832-928f-3133e22a%04d" % i,
        "conditionalAccessStatus": "notApplied",
        "originalRequestId": rid,
        "isInteractive": True,
        "tokenIssuerName": "http://sts.contoso.test/adfs/services/trust" if issuer != "AzureAD" else "",
        "tokenIssuerType": issuer,
        "clientCredentialType": "none",
        "processingTimeInMilliseconds": 120 + i,
        "riskDetail": "none",
        "riskLevelAggregated": "none",
        "riskLevelDuringSignIn": "none",
        "riskState": "none",
        "riskEventTypes_v2": [],
        "resourceDisplayName": "Windows Azure Service Management API",
        "resourceId": "797f4846-ba00-4fd7-ba43-dac1f8f63013",
        "resourceTenantId": TENANT,
        "homeTenantId": TENANT,
        "homeTenantName": "",
        "authenticationMethodsUsed": [],
        "authenticationRequirement": req,
        "signInIdentifier": "",
        "signInEventTypes": ["interactiveUser"],
        "servicePrincipalId": "",
        "federatedCredentialId": "",
        "userType": "member",
        "flaggedForReview": False,
        "isTenantRestricted": False,
        "autonomousSystemNumber": 64500,
        "crossTenantAccessType": "none",
        "servicePrincipalCredentialKeyId": "",
        "servicePrincipalCredentialThumbprint": "",
        "uniqueTokenIdentifier": "Vb25Vsw2gEG5lycPpuYa%02d" % i,
        "incomingTokenType": incoming,
        "authenticationProtocol": "none",
        "resourceServicePrincipalId": "45c7112a-39d4-4aa7-8dda-3d2c7c0fe1f4",
        "signInTokenProtectionStatus": "none",
        "originalTransferMethod": "none",
        "isThroughGlobalSecureAccess": False,
        "globalSecureAccessIpAddress": None,
        "conditionalAccessAudiences": [],
        "sessionId": "0f1d2c3b-4a59-4687-9a8b-7c6d5e4f%04d" % i,
        "appOwnerTenantId": "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
        "resourceOwnerTenantId": "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
        "mfaDetail": {"authMethod": None, "authDetail": None},
        "authenticationAppDeviceDetails": None,
        "agent": None,
        "status": {"errorCode": code, "failureReason": reason or "Other.", "additionalDetails": details},
        "deviceDetail": {"deviceId": "", "displayName": "", "operatingSystem": "Windows10", "browser": "Edge 120.0.0",
                         "isCompliant": False, "isManaged": False, "trustType": ""},
        "location": {"city": "Redmond", "state": "Washington", "countryOrRegion": "US",
                     "geoCoordinates": {"altitude": None, "latitude": 47.68050003051758, "longitude": -122.12094116210938}},
        "appliedConditionalAccessPolicies": [],
        "authenticationContextClassReferences": [],
        "authenticationProcessingDetails": [{"key": "Legacy TLS (TLS 1.0, 1.1, 3DES)", "value": "False"},
                                            {"key": "Is CAE Token", "value": "False"}],
        "networkLocationDetails": [],
        "authenticationDetails": [step(iso7(when(minute, k)), m, d, ok, res, rq) for k, (m, d, ok, res, rq) in enumerate(steps)],
        "authenticationRequirementPolicies": [],
        "sessionLifetimePolicies": [],
        "privateLinkDetails": {"policyId": "", "policyName": "", "resourceId": "", "policyTenantId": ""},
        "appliedEventListeners": [],
        "authenticationAppPolicyEvaluationDetails": [],
        "managedServiceIdentity": {"msiType": "none", "associatedResourceId": None, "federatedTokenId": None, "federatedTokenIssuer": None},
        "tokenProtectionStatusDetails": {"signInSessionStatus": "unbound", "signInSessionStatusCode": 0},
    }
    if not beta:
        # v1.0 has no beta-only members.
        for k in ["signInEventTypes", "servicePrincipalCredentialKeyId", "servicePrincipalCredentialThumbprint",
                  "authenticationMethodsUsed", "authenticationAppDeviceDetails", "agent", "isThroughGlobalSecureAccess",
                  "globalSecureAccessIpAddress", "conditionalAccessAudiences", "sessionId", "appOwnerTenantId",
                  "resourceOwnerTenantId", "authenticationAppPolicyEvaluationDetails", "managedServiceIdentity",
                  "tokenProtectionStatusDetails", "mfaDetail", "originalTransferMethod", "privateLinkDetails",
                  "authenticationContextClassReferences", "appliedEventListeners", "federatedCredentialId",
                  "clientCredentialType", "signInTokenProtectionStatus", "isTenantRestricted"]:
            r.pop(k, None)
    return r


def pascal(k):
    special = {"ipAddress": "IPAddress", "ipAddressFromResourceProvider": "IPAddressFromResourceProvider",
               "riskEventTypes_v2": "RiskEventTypesV2"}
    return special.get(k, k[:1].upper() + k[1:])


def to_powershell(v):
    """Get-MgBetaAuditLogSignIn objects as ConvertTo-Json -Depth 10 writes them: PascalCase properties, every model
    object with AdditionalProperties, Graph members the model does not know moved into AdditionalProperties."""
    if isinstance(v, dict):
        out = {pascal(k): to_powershell(x) for k, x in v.items()}
        out["AdditionalProperties"] = {}
        return out
    if isinstance(v, list):
        return [to_powershell(x) for x in v]
    return v


def shallow(v, depth=0, limit=2, key=None):
    """ConvertTo-Json's depth limit (default 2): an object deeper than the limit is written as its type name (an
    array's elements are one level below the array's owner), as in the depth-2 output mocked by the entra-powershell
    tests (AuthenticationDetails = type names)."""
    names = {"AuthenticationDetails": "Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphAuthenticationDetail",
             "AuthenticationProcessingDetails": "Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphKeyValue",
             "GeoCoordinates": "Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphGeoCoordinates",
             "AuthenticationRequirementPolicies": "Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphAuthenticationRequirementPolicy"}
    if isinstance(v, dict):
        if depth >= limit:
            if key == "AdditionalProperties" and not v:
                return {}
            return names.get(key, "Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraph" + (key or "Entity"))
        return {k: shallow(x, depth + 1, limit, k) for k, x in v.items()}
    if isinstance(v, list):
        return [shallow(x, depth + 1, limit, key) for x in v]
    return v


def write_json(name, obj, indent=4):
    with open(os.path.join(HERE, name), "w", newline="\n") as f:
        f.write(json.dumps(obj, indent=indent, ensure_ascii=False) + "\n")


PORTAL_HEADERS = ["Date (UTC)", "Request ID", "User agent", "Correlation ID", "User ID", "User", "Username", "User type",
                  "Cross tenant access type", "Incoming token type", "Authentication Protocol", "Unique token identifier",
                  "Original transfer method", "Client credential type", "Token Protection - Sign In Session",
                  "Token Protection - Sign In Session StatusCode", "Application", "Application ID ",
                  "App owner tenant ID", "Resource", "Resource ID ", "Resource tenant ID", "Resource owner tenant ID",
                  "Home tenant ID", "Home tenant name", "IP address", "Location", "Status", "Sign-in error code",
                  "Failure reason", "Client app", "Device ID", "Browser", "Operating System", "Compliant", "Managed",
                  "Join Type", "Multifactor authentication result", "Multifactor authentication auth method",
                  "Multifactor authentication auth detail", "Authentication requirement", "Sign-in identifier",
                  "Session ID", "IP address (seen by resource)", "Through Global Secure Access",
                  "Global Secure Access IP address", "Autonomous system  number", "Flagged for review",
                  "Token issuer type", "Incoming token type", "Token issuer name", "Latency", "Conditional Access",
                  "Managed Identity type", "Associated Resource Id", "Federated Token Id", "Federated Token Issuer"]


def portal_row(r):
    st = r["status"]
    code = st["errorCode"]
    status = "Success" if code == 0 else ("Interrupted" if code in (50074, 50076, 50079, 50140) else "Failure")
    vals = {
        "Date (UTC)": r["createdDateTime"], "Request ID": r["id"], "User agent": r["userAgent"],
        "Correlation ID": r["correlationId"], "User ID": r["userId"], "User": r["userDisplayName"],
        "Username": r["userPrincipalName"], "User type": "Member", "Cross tenant access type": "None",
        "Incoming token type": r["incomingTokenType"], "Authentication Protocol": "None",
        "Unique token identifier": r["uniqueTokenIdentifier"], "Original transfer method": "None",
        "Client credential type": "None", "Token Protection - Sign In Session": "Unbound",
        "Token Protection - Sign In Session StatusCode": "0", "Application": r["appDisplayName"],
        "Application ID ": r["appId"], "App owner tenant ID": "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
        "Resource": r["resourceDisplayName"], "Resource ID ": r["resourceId"], "Resource tenant ID": TENANT,
        "Resource owner tenant ID": "f8cdef31-a31e-4b4a-93e4-5f571e91255a", "Home tenant ID": TENANT,
        "Home tenant name": "", "IP address": r["ipAddress"], "Location": "Redmond, Washington, US",
        "Status": status, "Sign-in error code": str(code),
        "Failure reason": st["failureReason"], "Client app": "Browser", "Device ID": "", "Browser": "Edge 120.0.0",
        "Operating System": "Windows10", "Compliant": "False", "Managed": "False", "Join Type": "",
        "Multifactor authentication result": st["additionalDetails"] or "",
        "Multifactor authentication auth method": "", "Multifactor authentication auth detail": "",
        "Authentication requirement": "Multifactor authentication" if r["authenticationRequirement"].startswith("multi") else "Single-factor authentication",
        "Sign-in identifier": "", "Session ID": "", "IP address (seen by resource)": "",
        "Through Global Secure Access": "No", "Global Secure Access IP address": "",
        "Autonomous system  number": "64500", "Flagged for review": "No",
        "Token issuer type": r["tokenIssuerType"], "Token issuer name": r["tokenIssuerName"],
        "Latency": str(r["processingTimeInMilliseconds"]), "Conditional Access": "Not Applied",
        "Managed Identity type": "", "Associated Resource Id": "", "Federated Token Id": "",
        "Federated Token Issuer": "",
    }
    return [vals[h] for h in PORTAL_HEADERS]


LA_HEADERS = "TenantId,SourceSystem,TimeGenerated [UTC],ResourceId,OperationName,OperationVersion,Category,ResultType,ResultSignature,ResultDescription,DurationMs,CorrelationId,Resource,ResourceGroup,ResourceProvider,Identity,Level,Location,AlternateSignInName,AppDisplayName,AppId,AuthenticationContextClassReferences,AuthenticationDetails,AppliedEventListeners,AuthenticationMethodsUsed,AuthenticationProcessingDetails,AuthenticationRequirement,AuthenticationRequirementPolicies,ClientAppUsed,ConditionalAccessPolicies,ConditionalAccessStatus,CreatedDateTime [UTC],DeviceDetail,IsInteractive,Id,IPAddress,IsRisky,LocationDetails,MfaDetail,NetworkLocationDetails,OriginalRequestId,ProcessingTimeInMilliseconds,RiskDetail,RiskEventTypes,RiskEventTypes_V2,RiskLevelAggregated,RiskLevelDuringSignIn,RiskState,ResourceDisplayName,ResourceIdentity,ResourceServicePrincipalId,ServicePrincipalId,ServicePrincipalName,Status,TokenIssuerName,TokenIssuerType,UserAgent,UserDisplayName,UserId,UserPrincipalName,AADTenantId,UserType,FlaggedForReview,IPAddressFromResourceProvider,SignInIdentifier,SignInIdentifierType,ResourceTenantId,HomeTenantId,UniqueTokenIdentifier,SessionLifetimePolicies,AutonomousSystemNumber,AuthenticationProtocol,CrossTenantAccessType,AppliedConditionalAccessPolicies,RiskLevel,Type".split(",")


def la_time(t):
    """The Log Analytics portal's CSV datetime: M/D/YYYY, h:mm:ss.fff AM|PM (UTC)."""
    h = t.hour % 12 or 12
    return "%d/%d/%d, %d:%02d:%02d.%03d %s" % (t.month, t.day, t.year, h, t.minute, t.second, t.microsecond // 1000,
                                                  "AM" if t.hour < 12 else "PM")


def compact(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def la_values(r, csv_times):
    t = dt.datetime.strptime(r["createdDateTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    gen = t + dt.timedelta(seconds=41)
    st = {"errorCode": r["status"]["errorCode"]}
    if r["status"]["errorCode"] != 0:
        st["failureReason"] = r["status"]["failureReason"]
    if r["status"]["additionalDetails"]:
        st["additionalDetails"] = r["status"]["additionalDetails"]
    steps = [dict(s, StatusSequence=0, RequestSequence=i) for i, s in enumerate(r["authenticationDetails"])]
    for s in steps:
        s["authenticationStepDateTime"] = s["authenticationStepDateTime"].replace("Z", "+00:00")
        if s["authenticationMethodDetail"] is None:
            del s["authenticationMethodDetail"]
    code = r["status"]["errorCode"]
    fmt = la_time if csv_times else (lambda x: x.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (x.microsecond // 1000))
    return {
        "TenantId": "81a662b5-8541-481b-977d-5d956616ac5e", "SourceSystem": "Azure AD",
        "TimeGenerated [UTC]": fmt(gen), "ResourceId": "/tenants/%s/providers/Microsoft.aadiam" % TENANT,
        "OperationName": "Sign-in activity", "OperationVersion": "1", "Category": "SignInLogs",
        "ResultType": str(code), "ResultSignature": "None",
        "ResultDescription": "" if code == 0 else r["status"]["failureReason"], "DurationMs": "0",
        "CorrelationId": r["correlationId"], "Resource": "Microsoft.aadiam", "ResourceGroup": "Microsoft.aadiam",
        "ResourceProvider": "", "Identity": r["userDisplayName"], "Level": "4", "Location": "US",
        "AlternateSignInName": r["userPrincipalName"], "AppDisplayName": r["appDisplayName"], "AppId": r["appId"],
        "AuthenticationContextClassReferences": "[]", "AuthenticationDetails": compact(steps),
        "AppliedEventListeners": "", "AuthenticationMethodsUsed": "",
        "AuthenticationProcessingDetails": compact(r["authenticationProcessingDetails"]),
        "AuthenticationRequirement": r["authenticationRequirement"], "AuthenticationRequirementPolicies": "[]",
        "ClientAppUsed": "Browser", "ConditionalAccessPolicies": "", "ConditionalAccessStatus": "notApplied",
        "CreatedDateTime [UTC]": fmt(t),
        "DeviceDetail": compact({"deviceId": "", "operatingSystem": "Windows10", "browser": "Edge 120.0.0"}),
        "IsInteractive": "TRUE", "Id": r["id"], "IPAddress": r["ipAddress"], "IsRisky": "",
        "LocationDetails": compact({"city": "Redmond", "state": "Washington", "countryOrRegion": "US",
                                    "geoCoordinates": {"latitude": 47.68050003051758, "longitude": -122.12094116210938}}),
        "MfaDetail": "", "NetworkLocationDetails": "[]", "OriginalRequestId": r["id"],
        "ProcessingTimeInMilliseconds": str(r["processingTimeInMilliseconds"]), "RiskDetail": "none",
        "RiskEventTypes": "[]", "RiskEventTypes_V2": "[]", "RiskLevelAggregated": "none",
        "RiskLevelDuringSignIn": "none", "RiskState": "none", "ResourceDisplayName": r["resourceDisplayName"],
        "ResourceIdentity": r["resourceId"], "ResourceServicePrincipalId": r["resourceServicePrincipalId"],
        "ServicePrincipalId": "", "ServicePrincipalName": "", "Status": compact(st),
        "TokenIssuerName": r["tokenIssuerName"], "TokenIssuerType": r["tokenIssuerType"], "UserAgent": r["userAgent"],
        "UserDisplayName": r["userDisplayName"], "UserId": r["userId"], "UserPrincipalName": r["userPrincipalName"],
        "AADTenantId": TENANT, "UserType": "Member", "FlaggedForReview": "", "IPAddressFromResourceProvider": "",
        "SignInIdentifier": "", "SignInIdentifierType": "", "ResourceTenantId": TENANT, "HomeTenantId": TENANT,
        "UniqueTokenIdentifier": r["uniqueTokenIdentifier"],
        "SessionLifetimePolicies": "[]", "AutonomousSystemNumber": "64500", "AuthenticationProtocol": "none",
        "CrossTenantAccessType": "none", "AppliedConditionalAccessPolicies": "", "RiskLevel": "", "Type": "SigninLogs",
    }


def main():
    S = scenario()
    v1 = [graph_record(i, s) for i, s in enumerate(S)]
    beta = [graph_record(i, s, beta=True) for i, s in enumerate(S)]
    # Graph v1.0: two pages (one file each), the first with @odata.nextLink.
    write_json("graph-v1-page1.json", {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns",
                                        "@odata.nextLink": "https://graph.microsoft.com/v1.0/auditLogs/signIns?$top=5&$skiptoken=9177f2e3532fcd4c4d225f68f7b9bdf7_1",
                                        "value": v1[:5]})
    write_json("graph-v1-page2.json", {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns",
                                        "value": v1[5:]})
    # Graph beta: one page, all sign-ins.
    write_json("graph-beta-page.json", {"@odata.context": "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns",
                                         "value": beta})
    # The admin center's "Download JSON": a bare array of beta-shaped objects.
    write_json("InteractiveSignIns_2026-01-15_2026-01-16.json", beta, indent=2)
    # NDJSON (one compact object per line).
    with open(os.path.join(HERE, "graph.ndjson"), "w", newline="\n") as f:
        for r in v1:
            f.write(compact(r) + "\n")
    # Graph PowerShell, ConvertTo-Json -Depth 10 (PowerShell 7: indentation of 2, ISO times).
    ps = [to_powershell(r) for r in beta]
    write_json("powershell-depth10.json", ps, indent=2)
    # Windows PowerShell 5.1: "\/Date(ms)\/" times.
    ps51 = [to_powershell(r) for r in beta[:2]]
    for r in ps51:
        t = dt.datetime.strptime(r["CreatedDateTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
        r["CreatedDateTime"] = "/Date(%d)/" % (t.timestamp() * 1000)
    with open(os.path.join(HERE, "powershell51.json"), "w", newline="\r\n") as f:
        f.write(json.dumps(ps51, indent=4).replace("/Date(", "\\/Date(").replace(")/", ")\\/") + "\n")
    # The same export at ConvertTo-Json's default depth (2).
    write_json("powershell-depth2.json", [shallow(r) for r in ps], indent=2)
    # The admin center's "Download CSV" (every field quoted).
    with open(os.path.join(HERE, "InteractiveSignIns_2026-01-15_2026-01-16.csv"), "w", newline="") as f:
        w = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        w.writerow(PORTAL_HEADERS)
        for r in beta:
            w.writerow(portal_row(r))
    # Log Analytics: the portal's "Export to CSV (all columns)" and `az monitor log-analytics query` JSON.
    with open(os.path.join(HERE, "log-analytics-signinlogs.csv"), "w", newline="") as f:
        w = csv.writer(f, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        w.writerow(LA_HEADERS)
        for r in beta:
            vals = la_values(r, True)
            w.writerow([vals[h] for h in LA_HEADERS])
    az = []
    for r in beta:
        vals = la_values(r, False)
        o = {h.replace(" [UTC]", ""): vals[h] for h in LA_HEADERS}
        o["TableName"] = "PrimaryResult"
        az.append(dict(sorted(o.items())))
    write_json("log-analytics-az.json", az, indent=2)
    # Merging across files and shapes: alice (another spelling) in a later CSV, one single-factor sign-in.
    extra = graph_record(20, ("alice", "exo", 50, 0, None, None,
                              [("Password", "Password in AD FS", True, FIRST_FACTOR_CLAIM, "Primary authentication")],
                              "singleFactorAuthentication", ("ADFederationServices", "saml11")), beta=True)
    extra["userPrincipalName"] = "Alice@Contoso.TEST"
    with open(os.path.join(HERE, "merge-alice-single-factor.csv"), "w", newline="") as f:
        w = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        w.writerow(PORTAL_HEADERS)
        w.writerow(portal_row(extra))
    # Broken inputs.
    text = open(os.path.join(HERE, "graph-v1-page1.json")).read()
    with open(os.path.join(HERE, "truncated-page.json"), "w", newline="\n") as f:
        f.write(text[: len(text) * 2 // 3])
    with open(os.path.join(HERE, "unknown-headers.csv"), "w", newline="") as f:
        f.write("Timestamp,Account,Outcome\r\n2026-01-15T09:00:00Z,alice@contoso.test,OK\r\n")

    # Partner Center: the API's response (documented) and a download-like CSV (undocumented columns).
    os.makedirs(PARTNER, exist_ok=True)
    items = [
        {"objectId": USERS["bob"][1], "tenantId": TENANT, "upn": "bob@contoso.test",
         "lastNonMfaCompliantRequestDateTime": "2026-01-15T09:40:00.051"},
        {"objectId": USERS["alice"][1], "tenantId": TENANT, "upn": "Alice@contoso.test",
         "lastNonMfaCompliantRequestDateTime": "2026-01-15T09:45:00.000"},
        {"objectId": "11111111-aaaa-4aaa-8aaa-000000000099", "tenantId": TENANT, "upn": "zoe@contoso.test",
         "lastNonMfaCompliantRequestDateTime": "2026-01-14T08:00:00.000"},
    ]
    with open(os.path.join(PARTNER, "nonMfaCompliantPartnerPrincipals.json"), "w", newline="\n") as f:
        f.write(json.dumps({"totalCount": len(items), "items": items, "attributes": {"objectType": "Collection"}},
                           indent=4) + "\n")
    with open(os.path.join(PARTNER, "portal-requests-without-mfa.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(["Name", "User principal name", "Last sign-in without MFA (UTC)"])
        w.writerow(["Bob Federated", "bob@contoso.test", "2026-01-15T09:40:00Z"])
        w.writerow(["Zoe Missing", "zoe@contoso.test", "2026-01-14T08:00:00Z"])


if __name__ == "__main__":
    main()
