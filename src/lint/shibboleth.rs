//! Shibboleth IdP (V4, V5): the `conf/` directory (or the IdP home holding it), or one of its files. It reads
//! `relying-party.xml` (the `RelyingPartyByName` override for `urn:federation:MicrosoftOnline`, its `SAML2.SSO`
//! profile: `signAssertions`, `encryptAssertions`, `defaultAuthenticationMethods`), `saml-nameid.xml` (which
//! generator makes the persistent NameID, from which attribute), `attribute-resolver.xml`, `attributes/*.xml`
//! (transcoding rules) and `attribute-filter.xml` (is `IDPEmail`, and the NameID's source, released to Entra),
//! `authn/authn.properties` and `idp.properties` (`idp.authn.flows`, each flow's `supportedPrincipals`) and
//! `authn/mfa-authn-config.xml` (the MFA flow's transition map). Spring files are read as XML (`p:`/`c:` attributes,
//! `<property>` elements, `ref`s inside the same file), never executed: a value computed by a script or a bean
//! fedcheck cannot see is reported as a `warn`, not guessed.

use super::{docs, read_optional, ConfigReport, Encoding, Finding, InputFile, Kind, LintError, MAX_DIR_FILES};
use crate::rules::ids;
use crate::rules::{Status, ENTRA_AUDIENCE, MULTIPLEAUTHN, PERSISTENT};
use crate::xml::{Document, Limits, NodeId};
use std::path::Path;

const BEANS_NS: &str = "http://www.springframework.org/schema/beans";
const P_NS: &str = "http://www.springframework.org/schema/p";
const C_NS: &str = "http://www.springframework.org/schema/c";
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
const RESOLVER_NS: &str = "urn:mace:shibboleth:2.0:resolver";
const AFP_NS: &str = "urn:mace:shibboleth:2.0:afp";
/// Most lines read from one properties file.
const MAX_PROPERTY_LINES: usize = 20_000;
/// Deepest chain of `parent` beans followed inside a file.
const MAX_PARENTS: usize = 8;

/// Login flows that are one factor on their own.
const FIRST_FACTOR_FLOWS: [&str; 5] = ["Password", "IPAddress", "SPNEGO", "RemoteUserInternal", "Krb5"];
/// Login flows that are a second factor (Shibboleth's Duo flows and the TOTP / WebAuthn plugins).
const SECOND_FACTOR_FLOWS: [&str; 5] = ["Duo", "DuoOIDC", "TOTP", "WebAuthn", "Webauthn"];

/// What a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    RelyingParty,
    NameId,
    Resolver,
    Filter,
    Mfa,
    Registry,
    Properties,
}

impl Role {
    fn label(self) -> &'static str {
        match self {
            Role::RelyingParty => "relying-party.xml",
            Role::NameId => "saml-nameid.xml",
            Role::Resolver => "attribute-resolver.xml",
            Role::Filter => "attribute-filter.xml",
            Role::Mfa => "authn/mfa-authn-config.xml",
            Role::Registry => "attribute registry (attributes/*.xml)",
            Role::Properties => "properties",
        }
    }
}

/// A parsed XML file, with its `id` attributes indexed (Spring refers to beans by id).
struct Xml {
    name: String,
    doc: Document,
    ids: std::collections::HashMap<String, NodeId>,
}

impl Xml {
    fn parse(name: &str, text: &str) -> Result<Xml, LintError> {
        let limits = Limits {
            max_depth: 64,
            max_attributes: 256,
            max_nodes: 200_000,
            ..Limits::default()
        };
        let doc = Document::parse(text.as_bytes(), &limits).map_err(|e| LintError::Unrecognized {
            file: name.to_string(),
            reason: format!("not XML fedcheck reads: {e}"),
        })?;
        let mut ids = std::collections::HashMap::new();
        let root = doc.root();
        for n in std::iter::once(root).chain(doc.descendants(root)) {
            if let Some(id) = doc.element(n).and_then(|e| e.attr("id")) {
                // The first element with an id wins, as a reader going top-down finds it.
                ids.entry(id.to_string()).or_insert(n);
            }
        }
        Ok(Xml {
            name: name.to_string(),
            doc,
            ids,
        })
    }

    fn all(&self, ns: &str, local: &str) -> Vec<NodeId> {
        let root = self.doc.root();
        let mut v = self.doc.find_all(root, ns, local);
        if self.doc.element(root).is_some_and(|e| e.is(ns, local)) && !v.contains(&root) {
            v.insert(0, root);
        }
        v
    }

    fn attr(&self, id: NodeId, local: &str) -> Option<&str> {
        self.doc.element(id)?.attr(local)
    }

    fn attr_ns(&self, id: NodeId, ns: &str, local: &str) -> Option<&str> {
        self.doc
            .element(id)?
            .attrs
            .iter()
            .find(|a| a.local == local && a.ns.as_deref() == Some(ns))
            .map(|a| a.value.as_str())
    }

    /// The element whose `id` attribute is `id`.
    fn by_id(&self, id: &str) -> Option<NodeId> {
        self.ids.get(id).copied()
    }

    fn children(&self, id: NodeId) -> Vec<NodeId> {
        self.doc.child_elements(id).collect()
    }

    fn local(&self, id: NodeId) -> &str {
        self.doc.element(id).map(|e| e.local.as_str()).unwrap_or("")
    }

    fn ns(&self, id: NodeId) -> &str {
        self.doc.element(id).and_then(|e| e.ns.as_deref()).unwrap_or("")
    }

    fn text(&self, id: NodeId) -> String {
        self.doc.text(id).trim().to_string()
    }

    /// `xsi:type` without its prefix.
    fn xsi_type(&self, id: NodeId) -> Option<&str> {
        let t = self.attr_ns(id, XSI_NS, "type")?;
        Some(t.rsplit(':').next().unwrap_or(t))
    }
}

/// A bean property's value.
enum Prop {
    Text(String),
    Ref(String),
    Node(NodeId),
}

/// A property of a bean, following `parent` beans defined in the same file.
fn bean_prop(x: &Xml, bean: NodeId, name: &str) -> Option<Prop> {
    let mut cur = Some(bean);
    for _ in 0..MAX_PARENTS {
        let b = cur?;
        if let Some(v) = x.attr_ns(b, P_NS, name) {
            return Some(Prop::Text(v.to_string()));
        }
        if let Some(v) = x.attr_ns(b, P_NS, &format!("{name}-ref")) {
            return Some(Prop::Ref(v.to_string()));
        }
        for p in x.children(b) {
            if x.ns(p) == BEANS_NS && x.local(p) == "property" && x.attr(p, "name") == Some(name) {
                if let Some(v) = x.attr(p, "value") {
                    return Some(Prop::Text(v.to_string()));
                }
                if let Some(v) = x.attr(p, "ref") {
                    return Some(Prop::Ref(v.to_string()));
                }
                return Some(Prop::Node(p));
            }
        }
        cur = x.attr(b, "parent").and_then(|p| x.by_id(p));
    }
    None
}

/// Whether a bean is (or inherits, inside the file, from) the bean named `parent`.
fn derives_from(x: &Xml, bean: NodeId, parent: &str) -> bool {
    let mut cur = Some(bean);
    for _ in 0..MAX_PARENTS {
        let Some(b) = cur else { return false };
        match x.attr(b, "parent") {
            Some(p) if p == parent => return true,
            Some(p) => cur = x.by_id(p),
            None => return false,
        }
    }
    false
}

/// The items of a list-valued property: nested `<list>`/`<util:list>` children, or a `ref` to a list in the file.
/// `None` when the list is somewhere fedcheck cannot see.
fn list_items(x: &Xml, prop: &Prop) -> Option<Vec<NodeId>> {
    let list = match prop {
        Prop::Node(n) => x
            .children(*n)
            .into_iter()
            .find(|c| matches!(x.local(*c), "list" | "set"))?,
        Prop::Ref(r) => x.by_id(r)?,
        Prop::Text(_) => return None,
    };
    Some(x.children(list))
}

/// Resolves a `<ref bean="..."/>` item to the bean in the file, else keeps the item.
fn deref(x: &Xml, item: NodeId) -> (NodeId, Option<String>) {
    if x.local(item) == "ref" {
        let target = x.attr(item, "bean").map(str::to_string);
        if let Some(b) = target.as_deref().and_then(|t| x.by_id(t)) {
            return (b, target);
        }
        return (item, target);
    }
    (item, None)
}

/// The strings in a SpEL collection such as `#{ {'ImmutableID', 'mail'} }`, or a comma list.
fn spel_strings(v: &str) -> Vec<String> {
    if v.contains('\'') {
        v.split('\'').skip(1).step_by(2).map(str::to_string).collect()
    } else {
        v.split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Properties

/// Parses a Java properties file (comments, `=`/`:`/space separators, backslash continuations).
pub(crate) fn parse_properties(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut logical = String::new();
    for raw in text.lines().take(MAX_PROPERTY_LINES) {
        let line = raw.trim_start();
        if logical.is_empty() && (line.starts_with('#') || line.starts_with('!') || line.is_empty()) {
            continue;
        }
        let trailing = line.len() - line.trim_end_matches('\\').len();
        if trailing % 2 == 1 {
            logical.push_str(&line[..line.len() - 1]);
            continue;
        }
        logical.push_str(line);
        let l = std::mem::take(&mut logical);
        let sep = l.find(['=', ':']).or_else(|| l.find(char::is_whitespace));
        let (k, v) = match sep {
            Some(i) => (&l[..i], &l[i + 1..]),
            None => (l.as_str(), ""),
        };
        out.push((k.trim().to_string(), v.trim().replace("\\\\", "\\")));
    }
    out
}

/// True when the text reads as Shibboleth properties (`idp.` keys).
pub(crate) fn looks_like_properties(text: &str) -> bool {
    text.lines().take(400).any(|l| {
        let l = l.trim_start();
        l.starts_with("idp.") && l.contains(['=', ':'])
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Inputs

#[derive(Default)]
struct Conf {
    rp: Option<Xml>,
    nameid: Option<Xml>,
    resolver: Option<Xml>,
    filter: Option<Xml>,
    mfa: Option<Xml>,
    registry: Vec<Xml>,
    props: Vec<(String, String)>,
    props_read: bool,
    inputs: Vec<InputFile>,
}

impl Conf {
    fn prop(&self, key: &str) -> Option<&str> {
        self.props.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    fn add(&mut self, role: Role, name: &str, text: &str) -> Result<(), LintError> {
        if role == Role::Properties {
            self.props.extend(parse_properties(text));
            self.props_read = true;
        } else {
            let x = Xml::parse(name, text)?;
            match role {
                Role::RelyingParty => self.rp = Some(x),
                Role::NameId => self.nameid = Some(x),
                Role::Resolver => self.resolver = Some(x),
                Role::Filter => self.filter = Some(x),
                Role::Mfa => self.mfa = Some(x),
                Role::Registry => self.registry.push(x),
                Role::Properties => {}
            }
        }
        self.inputs.push(InputFile {
            path: name.to_string(),
            role: role.label().into(),
            status: "read",
        });
        Ok(())
    }
}

fn decode(name: &str, bytes: &[u8]) -> Result<String, LintError> {
    super::decode_named(name, bytes).map(|(t, _)| t)
}

/// What a single file is, by its content.
fn role_of(name: &str, text: &str) -> Result<Role, LintError> {
    let t = text.trim_start();
    if !t.starts_with('<') {
        return if looks_like_properties(t) {
            Ok(Role::Properties)
        } else {
            Err(LintError::Unrecognized {
                file: name.to_string(),
                reason: "not XML and no idp.* properties".into(),
            })
        };
    }
    let x = Xml::parse(name, text)?;
    let root = x.doc.root();
    let role = match (x.ns(root), x.local(root)) {
        (RESOLVER_NS, "AttributeResolver") => Role::Resolver,
        (AFP_NS, "AttributeFilterPolicyGroup") => Role::Filter,
        (BEANS_NS, "beans") => {
            let ids = |want: &str| x.by_id(want).is_some();
            let parents = |want: &str| {
                x.all(BEANS_NS, "bean")
                    .iter()
                    .any(|b| x.attr(*b, "parent") == Some(want))
            };
            if ids("shibboleth.DefaultRelyingParty")
                || ids("shibboleth.RelyingPartyOverrides")
                || parents("RelyingPartyByName")
            {
                Role::RelyingParty
            } else if ids("shibboleth.SAML2NameIDGenerators") {
                Role::NameId
            } else if ids("shibboleth.authn.MFA.TransitionMap") {
                Role::Mfa
            } else if parents("shibboleth.TranscodingProperties") || parents("shibboleth.TranscodingRuleLoader") {
                Role::Registry
            } else {
                return Err(LintError::Unrecognized {
                    file: name.to_string(),
                    reason: "Spring beans, but none of the Shibboleth files fedcheck reads (relying-party.xml, \
saml-nameid.xml, authn/mfa-authn-config.xml, attributes/*.xml)"
                        .into(),
                });
            }
        }
        (_, other) => {
            return Err(LintError::Unrecognized {
                file: name.to_string(),
                reason: format!(
                    "XML with root element <{other}>, not a Shibboleth IdP configuration file; for a SAML token use \
`fedcheck check`"
                ),
            })
        }
    };
    Ok(role)
}

/// Lints one Shibboleth file.
pub fn lint_file(name: &str, encoding: Encoding, text: &str) -> Result<ConfigReport, LintError> {
    let role = role_of(name, text)?;
    let mut conf = Conf::default();
    conf.add(role, name, text)?;
    let checks = run(&conf, Some(role));
    Ok(ConfigReport::new(
        Kind::Shibboleth,
        name,
        Some(encoding),
        format!("{} (one file)", role.label()),
        conf.inputs,
        checks,
    ))
}

/// Lints the IdP's `conf/` directory (or the IdP home holding `conf/`).
pub fn lint_dir(name: &str, path: &Path) -> Result<ConfigReport, LintError> {
    let (base, shown) = if path.join("conf").join("relying-party.xml").is_file() {
        (path.join("conf"), format!("{}/conf", name.trim_end_matches('/')))
    } else {
        (path.to_path_buf(), name.trim_end_matches('/').to_string())
    };
    // Later properties files override earlier ones, as the IdP loads them (idp.properties first).
    // (file, role, listed as missing when absent)
    let files: [(&str, Role, bool); 9] = [
        ("relying-party.xml", Role::RelyingParty, true),
        ("saml-nameid.xml", Role::NameId, true),
        ("attribute-resolver.xml", Role::Resolver, true),
        ("attribute-filter.xml", Role::Filter, true),
        ("idp.properties", Role::Properties, true),
        ("authn/authn.properties", Role::Properties, true),
        ("authn/duo.properties", Role::Properties, false),
        ("authn/duo-oidc.properties", Role::Properties, false),
        ("authn/mfa-authn-config.xml", Role::Mfa, true),
    ];
    let mut conf = Conf::default();
    let mut found = 0;
    for (rel, role, expected) in files {
        let shown_file = format!("{shown}/{rel}");
        match read_optional(&shown, &base.join(rel))? {
            Some(bytes) => {
                found += 1;
                let text = decode(&shown_file, &bytes)?;
                conf.add(role, &shown_file, &text)?;
            }
            None if expected => conf.inputs.push(InputFile {
                path: shown_file,
                role: role.label().into(),
                status: "missing",
            }),
            None => {}
        }
    }
    if found == 0 {
        return Err(LintError::Unrecognized {
            file: name.to_string(),
            reason: "a directory without Shibboleth IdP configuration (looked for relying-party.xml, \
attribute-filter.xml, authn/authn.properties, ... here and in conf/)"
                .into(),
        });
    }
    // Transcoding rules: attributes/*.xml and attributes/custom/*.xml, bounded.
    let mut registry = Vec::new();
    for sub in ["attributes", "attributes/custom"] {
        if let Ok(entries) = std::fs::read_dir(base.join(sub)) {
            let mut names: Vec<_> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "xml") && p.is_file())
                .collect();
            names.sort();
            registry.extend(names.into_iter().map(|p| (sub, p)));
        }
    }
    for (sub, p) in registry.into_iter().take(MAX_DIR_FILES) {
        let file_name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let shown_file = format!("{shown}/{sub}/{file_name}");
        if let Some(bytes) = read_optional(&shown, &p)? {
            let text = decode(&shown_file, &bytes)?;
            // Files in attributes/ that are not transcoding rules are skipped, not refused.
            if let Ok(x) = Xml::parse(&shown_file, &text) {
                conf.registry.push(x);
                conf.inputs.push(InputFile {
                    path: shown_file,
                    role: Role::Registry.label().into(),
                    status: "read",
                });
            }
        }
    }
    let checks = run(&conf, None);
    Ok(ConfigReport::new(
        Kind::Shibboleth,
        name,
        None,
        format!("Shibboleth IdP configuration in {shown}"),
        conf.inputs,
        checks,
    ))
}

// ---------------------------------------------------------------------------------------------------------------
// Checks

/// Runs the checks that the files read can answer (`only`: a single file's role).
fn run(conf: &Conf, only: Option<Role>) -> Vec<Finding> {
    let wants = |roles: &[Role]| only.is_none_or(|r| roles.contains(&r));
    let mut out = Vec::new();
    let sso = relying_party(conf);
    if wants(&[Role::RelyingParty]) {
        out.push(sso.finding.clone());
        out.push(sso_profile(&sso));
        out.push(assertion_signature(conf, &sso));
        out.push(encryption(conf, &sso));
        out.push(mfa_context(conf, &sso));
    }
    if wants(&[Role::NameId, Role::Resolver, Role::Filter]) {
        out.push(nameid(conf));
    }
    if wants(&[Role::Resolver, Role::Filter, Role::Registry]) {
        out.push(idpemail(conf));
    }
    if wants(&[Role::Properties, Role::Mfa]) {
        out.push(mfa_flow(conf));
    }
    if let Some(r) = only {
        out.push(
            Finding::new(
                ids::SHIBBOLETH_FILES,
                Status::Info,
                format!(
                    "one file ({}) read: the checks that need the other files are left out; lint the conf/ directory \
for all of them",
                    r.label()
                ),
            )
            .docs(&[docs::SHIB_RELYING_PARTY]),
        );
    }
    out
}

/// The relying-party configuration that applies to Entra.
struct Sso {
    finding: Finding,
    /// The SAML2.SSO profile bean, when one is configured inline or in the file.
    bean: Option<NodeId>,
    /// `SAML2.SSO` is listed without settings (`<ref bean="SAML2.SSO"/>`): defaults.
    defaults: bool,
    /// Why the profile could not be read, if so.
    unresolved: Option<String>,
    /// What the configuration is, in words.
    what: String,
}

fn mentions_entra(x: &Xml, bean: NodeId) -> bool {
    if x.attr_ns(bean, C_NS, "relyingPartyIds")
        .is_some_and(|v| v.contains(ENTRA_AUDIENCE))
    {
        return true;
    }
    x.children(bean).into_iter().any(|c| {
        x.local(c) == "constructor-arg"
            && (x.attr(c, "value").is_some_and(|v| v.contains(ENTRA_AUDIENCE))
                || x.doc
                    .descendants(c)
                    .into_iter()
                    .any(|d| x.local(d) == "value" && x.text(d) == ENTRA_AUDIENCE))
    })
}

fn relying_party(conf: &Conf) -> Sso {
    let mut sso = Sso {
        finding: Finding::new(
            ids::SHIBBOLETH_RELYING_PARTY,
            Status::Warn,
            "relying-party.xml is not in the input",
        )
        .fix("Lint the IdP's conf/ directory, or give relying-party.xml")
        .docs(&[docs::SHIB_RELYING_PARTY]),
        bean: None,
        defaults: false,
        unresolved: Some("relying-party.xml is not in the input".into()),
        what: "the relying-party configuration".into(),
    };
    let Some(x) = &conf.rp else { return sso };
    let overrides: Vec<NodeId> = x
        .all(BEANS_NS, "bean")
        .into_iter()
        .filter(|b| derives_from(x, *b, "RelyingPartyByName") && mentions_entra(x, *b))
        .collect();
    let (rp, what) = match overrides.first() {
        Some(b) => {
            let id = x
                .attr(*b, "id")
                .map(|i| format!(" (bean id \"{i}\")"))
                .unwrap_or_default();
            sso.finding = Finding::new(
                ids::SHIBBOLETH_RELYING_PARTY,
                Status::Pass,
                format!("relying-party.xml has an override for {ENTRA_AUDIENCE}{id}"),
            );
            (Some(*b), format!("the override for {ENTRA_AUDIENCE}"))
        }
        None => {
            sso.finding = Finding::new(
                ids::SHIBBOLETH_RELYING_PARTY,
                Status::Warn,
                format!(
                    "relying-party.xml has no RelyingPartyByName override for {ENTRA_AUDIENCE}: the default relying \
party's settings apply to Entra (settings attached to Entra's metadata, if any, are not read)"
                ),
            )
            .fix(format!(
                "Add an override to shibboleth.RelyingPartyOverrides: <bean parent=\"RelyingPartyByName\" \
c:relyingPartyIds=\"{ENTRA_AUDIENCE}\"> with a SAML2.SSO profile for Entra"
            ));
            (
                x.by_id("shibboleth.DefaultRelyingParty"),
                "the default relying party (shibboleth.DefaultRelyingParty)".to_string(),
            )
        }
    };
    sso.finding = std::mem::replace(&mut sso.finding, Finding::new("", Status::Info, ""))
        .setting(format!("{}: RelyingPartyByName c:relyingPartyIds", x.name))
        .value_opt(overrides.first().and_then(|b| x.attr_ns(*b, C_NS, "relyingPartyIds")))
        .docs(&[docs::SHIB_RELYING_PARTY]);
    sso.what = what;
    let Some(rp) = rp else {
        sso.unresolved = Some("relying-party.xml defines no shibboleth.DefaultRelyingParty".into());
        return sso;
    };
    let Some(profiles) = bean_prop(x, rp, "profileConfigurations") else {
        sso.unresolved = Some(format!("{} has no profileConfigurations", sso.what));
        return sso;
    };
    let Some(items) = list_items(x, &profiles) else {
        sso.unresolved = Some(format!(
            "the profileConfigurations of {} are defined outside relying-party.xml",
            sso.what
        ));
        return sso;
    };
    sso.unresolved = None;
    for item in items {
        let (bean, target) = deref(x, item);
        if x.local(bean) == "ref" {
            if target.as_deref() == Some("SAML2.SSO") {
                sso.defaults = true;
            }
            continue;
        }
        if x.local(bean) == "bean"
            && (x.attr(bean, "parent") == Some("SAML2.SSO") || derives_from(x, bean, "SAML2.SSO"))
        {
            sso.bean = Some(bean);
        }
    }
    sso
}

fn sso_setting(conf: &Conf, sso: &Sso, property: &str) -> String {
    format!(
        "{}: {} > SAML2.SSO {property}",
        conf.rp.as_ref().map(|x| x.name.as_str()).unwrap_or("relying-party.xml"),
        sso.what
    )
}

/// A SAML2.SSO property as text (`None`: not set, defaults apply; `Err`: set in a way fedcheck cannot read).
fn sso_value(conf: &Conf, sso: &Sso, name: &str) -> Result<Option<String>, String> {
    let (Some(x), Some(bean)) = (conf.rp.as_ref(), sso.bean) else {
        return Ok(None);
    };
    for dynamic in [
        format!("{name}Predicate"),
        format!("{name}Lookup"),
        format!("{name}LookupStrategy"),
    ] {
        if bean_prop(x, bean, &dynamic).is_some() {
            return Err(format!("{dynamic} decides it at run time"));
        }
    }
    match bean_prop(x, bean, name) {
        None => Ok(None),
        Some(Prop::Text(t)) => {
            // Resolve %{property} from the properties read.
            if let Some(key) = t.strip_prefix("%{").and_then(|r| r.strip_suffix('}')) {
                let key = key.split(':').next().unwrap_or(key);
                return conf
                    .prop(key)
                    .map(|v| Some(v.to_string()))
                    .ok_or_else(|| format!("it is the property {key}, which is not in the files read"));
            }
            if t.contains("#{") {
                return Err(format!("it is the expression {t}"));
            }
            Ok(Some(t))
        }
        Some(Prop::Ref(r)) => Err(format!("it refers to the bean {r}")),
        Some(Prop::Node(_)) => Err("it is a nested bean".into()),
    }
}

/// A SAML2.SSO property's value ([`sso_value`]), or the warning finding `id` when fedcheck cannot tell it: the
/// profile itself is unresolved (fedcheck cannot tell whether Shibboleth `does` it), or the property is set in a
/// way fedcheck cannot read.
fn sso_property(
    conf: &Conf,
    sso: &Sso,
    id: &'static str,
    name: &str,
    does: &str,
) -> Result<Option<String>, Box<Finding>> {
    if let Some(why) = &sso.unresolved {
        return Err(Box::new(Finding::new(
            id,
            Status::Warn,
            format!("fedcheck cannot tell whether Shibboleth {does}: {why}"),
        )));
    }
    sso_value(conf, sso, name).map_err(|why| {
        Box::new(Finding::new(
            id,
            Status::Warn,
            format!("fedcheck cannot read {name}: {why}"),
        ))
    })
}

fn sso_profile(sso: &Sso) -> Finding {
    let f = if let Some(why) = &sso.unresolved {
        Finding::new(
            ids::SHIBBOLETH_SSO_PROFILE,
            Status::Warn,
            format!("fedcheck cannot tell whether SAML 2.0 SSO is enabled for Entra: {why}"),
        )
    } else if sso.bean.is_some() || sso.defaults {
        Finding::new(
            ids::SHIBBOLETH_SSO_PROFILE,
            Status::Pass,
            format!(
                "{} enables the SAML2.SSO profile{}",
                sso.what,
                if sso.bean.is_some() {
                    " with settings"
                } else {
                    " with its defaults"
                }
            ),
        )
    } else {
        Finding::new(
            ids::SHIBBOLETH_SSO_PROFILE,
            Status::Fail,
            format!(
                "{} does not enable the SAML2.SSO profile, which Entra's sign-in uses",
                sso.what
            ),
        )
        .fix(
            "Add <bean parent=\"SAML2.SSO\" p:signAssertions=\"true\" p:encryptAssertions=\"false\" .../> to the \
profileConfigurations of Entra's override",
        )
    };
    f.setting(format!("{}: profileConfigurations", sso.what))
        .docs(&[docs::SHIB_RELYING_PARTY, docs::SHIB_SAML2_SSO])
}

fn assertion_signature(conf: &Conf, sso: &Sso) -> Finding {
    let setting = sso_setting(conf, sso, "signAssertions");
    let honor = conf.prop("idp.saml.honorWantAssertionsSigned");
    let honored = honor.is_none_or(|v| !v.eq_ignore_ascii_case("false"));
    let fix = "Set p:signAssertions=\"true\" on the SAML2.SSO profile of Entra's override";
    let signing = "signs the assertion";
    let f = match sso_property(conf, sso, ids::SHIBBOLETH_ASSERTION_SIGNATURE, "signAssertions", signing) {
        Err(unknown) => *unknown,
        Ok(Some(v)) if v.eq_ignore_ascii_case("true") => Finding::new(
            ids::SHIBBOLETH_ASSERTION_SIGNATURE,
            Status::Pass,
            "Shibboleth signs the assertion (signAssertions true)",
        )
        .value(v),
        Ok(v) if !honored => Finding::new(
            ids::SHIBBOLETH_ASSERTION_SIGNATURE,
            Status::Fail,
            format!(
                "signAssertions is {} and idp.saml.honorWantAssertionsSigned is false: Shibboleth signs only the \
Response, and Entra requires the assertion itself to be signed",
                v.as_deref().unwrap_or("not set (default false)")
            ),
        )
        .value_opt(v)
        .fix(fix),
        Ok(v) => Finding::new(
            ids::SHIBBOLETH_ASSERTION_SIGNATURE,
            Status::Warn,
            format!(
                "signAssertions is {}: Shibboleth signs the Response (signResponses defaults to true) but the assertion \
only if the metadata it loaded for Entra asks for signed assertions (WantAssertionsSigned, honoured unless \
idp.saml.honorWantAssertionsSigned is false); Entra requires the assertion itself to be signed",
                v.as_deref().unwrap_or("not set (default false)")
            ),
        )
        .value_opt(v)
        .fix(fix),
    };
    f.setting(setting)
        .docs(&[docs::SHIB_SAML_ASSERTION, docs::SHIB_SAML2_SSO, docs::ENTRA_SAML_IDP])
}

fn encryption(conf: &Conf, sso: &Sso) -> Finding {
    let setting = sso_setting(conf, sso, "encryptAssertions");
    let encrypting = "encrypts the assertion";
    let f = match sso_property(conf, sso, ids::SHIBBOLETH_ENCRYPTION, "encryptAssertions", encrypting) {
        Err(unknown) => *unknown,
        Ok(Some(v)) if v.eq_ignore_ascii_case("false") => Finding::new(
            ids::SHIBBOLETH_ENCRYPTION,
            Status::Pass,
            "Shibboleth does not encrypt the assertion for Entra (encryptAssertions false)",
        )
        .value(v),
        Ok(v) => Finding::new(
            ids::SHIBBOLETH_ENCRYPTION,
            Status::Warn,
            format!(
                "encryptAssertions is {}: Shibboleth encrypts the assertion when the metadata it loaded for Entra has \
an encryption key, and fails the request when it has none (unless encryptionOptional); Entra's domain federation \
settings hold no decryption key and Microsoft does not document encrypted assertions from a federated IdP",
                v.as_deref().unwrap_or("not set (default true)")
            ),
        )
        .value_opt(v)
        .fix("Set p:encryptAssertions=\"false\" on the SAML2.SSO profile of Entra's override"),
    };
    f.setting(setting)
        .docs(&[docs::SHIB_SAML2_SSO_OPTIONS, docs::GRAPH_FEDERATION])
}

fn mfa_context(conf: &Conf, sso: &Sso) -> Finding {
    let setting = sso_setting(conf, sso, "defaultAuthenticationMethods");
    let fix = format!(
        "Add to the SAML2.SSO profile of Entra's override: <property name=\"defaultAuthenticationMethods\"><list><bean \
parent=\"shibboleth.SAML2AuthnContextClassRef\" c:classRef=\"{MULTIPLEAUTHN}\" /></list></property>"
    );
    let methods: Result<Option<Vec<String>>, String> = match (conf.rp.as_ref(), sso.bean) {
        _ if sso.unresolved.is_some() => Err(sso.unresolved.clone().unwrap_or_default()),
        (Some(x), Some(bean)) => match bean_prop(x, bean, "defaultAuthenticationMethods") {
            None => Ok(None),
            Some(p) => match list_items(x, &p) {
                Some(items) => Ok(Some(
                    items
                        .into_iter()
                        .map(|i| {
                            let (b, target) = deref(x, i);
                            x.attr_ns(b, C_NS, "classRef")
                                .or_else(|| x.attr_ns(b, C_NS, "method"))
                                .map(str::to_string)
                                .or_else(|| {
                                    x.children(b)
                                        .into_iter()
                                        .find(|c| x.local(*c) == "constructor-arg")
                                        .and_then(|c| x.attr(c, "value").map(str::to_string))
                                })
                                .or(target)
                                .unwrap_or_else(|| "?".into())
                        })
                        .collect(),
                )),
                None => Err("defaultAuthenticationMethods is defined outside relying-party.xml".into()),
            },
        },
        _ => Ok(None),
    };
    let f = match methods {
        Ok(Some(m)) if m.iter().any(|c| c == MULTIPLEAUTHN) => Finding::new(
            ids::SHIBBOLETH_MFA_CONTEXT,
            Status::Pass,
            format!(
                "Entra sends no RequestedAuthnContext, and {} asks for {MULTIPLEAUTHN} by default \
(defaultAuthenticationMethods)",
                sso.what
            ),
        )
        .value(m.join(", ")),
        Ok(Some(m)) => Finding::new(
            ids::SHIBBOLETH_MFA_CONTEXT,
            Status::Fail,
            format!(
                "defaultAuthenticationMethods of {} is {} without {MULTIPLEAUTHN}: the AuthnContextClassRef Entra \
reads as MFA is never asked for",
                sso.what,
                m.join(", ")
            ),
        )
        .value(m.join(", "))
        .fix(fix),
        Ok(None) => Finding::new(
            ids::SHIBBOLETH_MFA_CONTEXT,
            Status::Fail,
            format!(
                "{} sets no defaultAuthenticationMethods: Entra sends no RequestedAuthnContext, so Shibboleth answers \
with the AuthnContextClassRef of whichever login flow ran (PasswordProtectedTransport by default), which Entra does not \
count as MFA",
                sso.what
            ),
        )
        .fix(fix),
        Err(why) => Finding::new(
            ids::SHIBBOLETH_MFA_CONTEXT,
            Status::Warn,
            format!("fedcheck cannot read defaultAuthenticationMethods: {why}"),
        ),
    };
    f.setting(setting)
        .docs(&[docs::SHIB_SAML2_SSO, docs::SHIB_MFA, docs::ENTRA_MFA_CLAIMS])
}

/// Whether the filter releases an attribute to Entra.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Release {
    Yes(String),
    No,
    Unknown(String),
}

/// Whether a `PolicyRequirementRule` (or a nested `Rule`) applies to Entra.
fn applies_to_entra(x: &Xml, rule: NodeId, depth: usize) -> Option<bool> {
    if depth > 8 {
        return None;
    }
    match x.xsi_type(rule)? {
        "ANY" => Some(true),
        "Requester" | "AttributeRequesterString" => Some(x.attr(rule, "value") == Some(ENTRA_AUDIENCE)),
        "OR" => three_valued(x, rule, depth, true),
        "AND" => three_valued(x, rule, depth, false),
        _ => None,
    }
}

/// An `OR` (`decisive` true) or `AND` (`decisive` false) of the rule's children, in three-valued logic: one child
/// with the decisive value decides; all children with the other value give it; otherwise fedcheck cannot tell.
fn three_valued(x: &Xml, rule: NodeId, depth: usize, decisive: bool) -> Option<bool> {
    let subs: Vec<Option<bool>> = x
        .children(rule)
        .into_iter()
        .map(|c| applies_to_entra(x, c, depth + 1))
        .collect();
    if subs.contains(&Some(decisive)) {
        Some(decisive)
    } else if subs.iter().all(|s| *s == Some(!decisive)) {
        Some(!decisive)
    } else {
        None
    }
}

fn released(conf: &Conf, attribute: &str) -> Release {
    let Some(x) = &conf.filter else {
        return Release::Unknown("attribute-filter.xml is not in the input".into());
    };
    let mut unknown = None;
    for policy in x.all(AFP_NS, "AttributeFilterPolicy") {
        let Some(req) = x
            .children(policy)
            .into_iter()
            .find(|c| x.local(*c) == "PolicyRequirementRule")
        else {
            continue;
        };
        let applies = applies_to_entra(x, req, 0);
        for rule in x.children(policy) {
            if x.local(rule) != "AttributeRule" || x.attr(rule, "attributeID") != Some(attribute) {
                continue;
            }
            let permit_any = x.attr(rule, "permitAny") == Some("true")
                || x.children(rule)
                    .into_iter()
                    .any(|c| x.local(c) == "PermitValueRule" && x.xsi_type(c) == Some("ANY"));
            let policy_id = x.attr(policy, "id").unwrap_or("?");
            match (applies, permit_any) {
                (Some(true), true) => return Release::Yes(format!("policy \"{policy_id}\"")),
                (Some(false), _) => {}
                (_, _) => {
                    unknown = Some(format!(
                        "policy \"{policy_id}\" has rules fedcheck does not evaluate for {attribute}"
                    ))
                }
            }
        }
    }
    match unknown {
        Some(u) => Release::Unknown(u),
        None => Release::No,
    }
}

/// The resolver's attribute definitions.
fn definitions(conf: &Conf) -> Vec<(String, Option<String>)> {
    let Some(x) = &conf.resolver else { return Vec::new() };
    x.all(RESOLVER_NS, "AttributeDefinition")
        .into_iter()
        .filter_map(|d| {
            let id = x.attr(d, "id")?.to_string();
            let saml2_name = x
                .children(d)
                .into_iter()
                .filter(|c| x.local(*c) == "AttributeEncoder")
                .find(|c| x.xsi_type(*c).is_some_and(|t| t.starts_with("SAML2")))
                .and_then(|c| x.attr(c, "name").map(str::to_string));
            Some((id, saml2_name))
        })
        .collect()
}

/// Transcoding rules: attribute id -> SAML 2 name.
fn transcoding(conf: &Conf) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for x in &conf.registry {
        for props in x.all(BEANS_NS, "props") {
            let mut id = None;
            let mut name = None;
            for p in x.children(props) {
                match x.attr(p, "key") {
                    Some("id") => id = Some(x.text(p)),
                    Some("saml2.name") => name = Some(x.text(p)),
                    _ => {}
                }
            }
            if let (Some(i), Some(n)) = (id, name) {
                out.push((i, n));
            }
        }
    }
    out
}

fn idpemail(conf: &Conf) -> Finding {
    let defs = definitions(conf);
    let rules = transcoding(conf);
    // The attribute id whose SAML 2 name is IDPEmail.
    let by_encoder = defs
        .iter()
        .find(|(_, n)| n.as_deref() == Some("IDPEmail"))
        .map(|(i, _)| i.clone());
    let by_rule = rules.iter().find(|(_, n)| n == "IDPEmail").map(|(i, _)| i.clone());
    let defined = |id: &str| defs.iter().any(|(i, _)| i == id);
    let id = by_encoder.clone().or(by_rule.clone());
    let f = match (&conf.resolver, id) {
        (None, _) => Finding::new(
            ids::SHIBBOLETH_IDPEMAIL,
            Status::Warn,
            "attribute-resolver.xml is not in the input: fedcheck cannot tell whether IDPEmail is sent",
        ),
        (Some(_), None) => {
            if defined("IDPEmail") {
                Finding::new(
                    ids::SHIBBOLETH_IDPEMAIL,
                    Status::Warn,
                    "the resolver defines IDPEmail, but no SAML 2 encoder or transcoding rule read names it IDPEmail: \
fedcheck cannot tell under which name it is sent",
                )
            } else {
                Finding::new(
                    ids::SHIBBOLETH_IDPEMAIL,
                    Status::Fail,
                    "no attribute is sent as IDPEmail (no resolver definition, SAML 2 encoder or transcoding rule with \
that name): Entra requires the user's UPN in IDPEmail",
                )
                .fix("Define an attribute IDPEmail from the user's UPN (userPrincipalName) with a transcoding rule \
saml2.name = IDPEmail, and release it to urn:federation:MicrosoftOnline in attribute-filter.xml")
            }
        }
        (Some(_), Some(id)) if !defined(&id) => Finding::new(
            ids::SHIBBOLETH_IDPEMAIL,
            Status::Fail,
            format!("a transcoding rule sends {id} as IDPEmail, but the resolver does not define {id}"),
        )
        .fix(format!("Define the attribute {id} (the user's UPN) in attribute-resolver.xml")),
        (Some(_), Some(id)) => match released(conf, &id) {
            Release::Yes(p) => Finding::new(
                ids::SHIBBOLETH_IDPEMAIL,
                Status::Pass,
                format!("the attribute {id} is sent as IDPEmail and released to Entra ({p}); it must be the user's UPN"),
            ),
            Release::No => Finding::new(
                ids::SHIBBOLETH_IDPEMAIL,
                Status::Fail,
                format!("the attribute {id} (sent as IDPEmail) is not released to {ENTRA_AUDIENCE} by attribute-filter.xml"),
            )
            .fix(format!(
                "Add to attribute-filter.xml: <AttributeFilterPolicy id=\"Entra\"><PolicyRequirementRule \
xsi:type=\"Requester\" value=\"{ENTRA_AUDIENCE}\" /><AttributeRule attributeID=\"{id}\" permitAny=\"true\" \
/></AttributeFilterPolicy>"
            )),
            Release::Unknown(why) => Finding::new(
                ids::SHIBBOLETH_IDPEMAIL,
                Status::Warn,
                format!("the attribute {id} is sent as IDPEmail; fedcheck cannot tell whether it is released to Entra: {why}"),
            ),
        },
    };
    f.setting("attribute-resolver.xml / attributes/*.xml (saml2.name) / attribute-filter.xml")
        .value_opt(by_encoder.or(by_rule))
        .docs(&[docs::SHIB_FILTER, docs::ENTRA_SAML_IDP])
}

fn nameid(conf: &Conf) -> Finding {
    let setting = "saml-nameid.xml: shibboleth.SAML2NameIDGenerators";
    let Some(x) = &conf.nameid else {
        return Finding::new(
            ids::SHIBBOLETH_NAMEID,
            Status::Warn,
            "saml-nameid.xml is not in the input: fedcheck cannot tell how the persistent NameID Entra asks for is made",
        )
        .setting(setting)
        .docs(&[docs::SHIB_NAMEID, docs::ENTRA_SAML_IDP]);
    };
    let (sourced, computed) = persistent_generators(x);
    let f = match (sourced, computed) {
        (Some(sources), _) if !sources.is_empty() => sourced_nameid(conf, &sources),
        (_, true) => Finding::new(
            ids::SHIBBOLETH_NAMEID,
            Status::Warn,
            "the persistent NameID comes from shibboleth.SAML2PersistentGenerator, a per-service identifier computed \
from a salted hash (or stored in a database): Entra matches it against the user's ImmutableID, so each Entra user's \
ImmutableID must be set to that value",
        )
        .fix(
            "Or make the NameID from the attribute holding the ImmutableID: <bean \
parent=\"shibboleth.SAML2AttributeSourcedGenerator\" p:format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent\" \
p:attributeSourceIds=\"#{ {'ImmutableID'} }\" />",
        ),
        _ => Finding::new(
            ids::SHIBBOLETH_NAMEID,
            Status::Fail,
            "no SAML 2 NameID generator makes persistent identifiers: Entra asks for a persistent NameID holding the \
user's ImmutableID, which Shibboleth then cannot give",
        )
        .fix(
            "Add to shibboleth.SAML2NameIDGenerators: <bean parent=\"shibboleth.SAML2AttributeSourcedGenerator\" \
p:format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent\" p:attributeSourceIds=\"#{ {'ImmutableID'} }\" />",
        ),
    };
    f.setting(setting).docs(&[docs::SHIB_NAMEID, docs::ENTRA_SAML_IDP])
}

/// The persistent NameID generators of `saml-nameid.xml`: the source attributes of an attribute-sourced one, and
/// whether the computed (hashed or stored) one is listed.
fn persistent_generators(x: &Xml) -> (Option<Vec<String>>, bool) {
    let items = x
        .by_id("shibboleth.SAML2NameIDGenerators")
        .map(|l| x.children(l))
        .unwrap_or_default();
    let mut sourced = None;
    let mut computed = false;
    for item in items {
        let (bean, target) = deref(x, item);
        if target.as_deref() == Some("shibboleth.SAML2PersistentGenerator")
            || x.attr(bean, "parent") == Some("shibboleth.SAML2PersistentGenerator")
        {
            computed = true;
        }
        if x.attr(bean, "parent") == Some("shibboleth.SAML2AttributeSourcedGenerator")
            && bean_prop(x, bean, "format").is_some_and(|p| matches!(p, Prop::Text(t) if t == PERSISTENT))
        {
            let sources = match bean_prop(x, bean, "attributeSourceIds") {
                Some(Prop::Text(t)) => spel_strings(&t),
                Some(p) => list_items(x, &p)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|v| x.text(v))
                    .collect(),
                None => Vec::new(),
            };
            sourced = Some(sources);
        }
    }
    (sourced, computed)
}

/// `shibboleth.nameid` for a persistent NameID made from the attributes `sources`: is one released to Entra?
fn sourced_nameid(conf: &Conf, sources: &[String]) -> Finding {
    let releases: Vec<(String, Release)> = sources.iter().map(|i| (i.clone(), released(conf, i))).collect();
    if let Some((id, Release::Yes(p))) = releases.iter().find(|(_, r)| matches!(r, Release::Yes(_))) {
        Finding::new(
            ids::SHIBBOLETH_NAMEID,
            Status::Pass,
            format!(
                "the persistent NameID comes from the attribute {id}, released to Entra ({p}); it must hold the \
user's ImmutableID"
            ),
        )
    } else if releases.iter().all(|(_, r)| *r == Release::No) {
        Finding::new(
            ids::SHIBBOLETH_NAMEID,
            Status::Fail,
            format!(
                "the persistent NameID comes from {}, which attribute-filter.xml does not release to Entra: the \
generator uses released attributes, so Shibboleth cannot make the NameID Entra asks for",
                sources.join(", ")
            ),
        )
        .fix(format!(
            "Release {} to {ENTRA_AUDIENCE} in attribute-filter.xml",
            sources.join(", ")
        ))
    } else {
        let why = releases
            .iter()
            .filter_map(|(_, r)| match r {
                Release::Unknown(w) => Some(w.clone()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("; ");
        Finding::new(
            ids::SHIBBOLETH_NAMEID,
            Status::Warn,
            format!(
                "the persistent NameID comes from {}; fedcheck cannot tell whether it is released to Entra: {why}",
                sources.join(", ")
            ),
        )
    }
    .value(sources.join(", "))
}

/// The MFA flow's static sequence of flows from the start rule, or why it cannot be read.
fn mfa_sequence(conf: &Conf) -> Result<Vec<String>, String> {
    let Some(x) = &conf.mfa else {
        return Err("authn/mfa-authn-config.xml is not in the input".into());
    };
    if x.by_id("shibboleth.authn.MFA.TransitionMapStrategy").is_some() {
        return Err("a TransitionMapStrategy bean chooses the rules at run time".into());
    }
    let Some(map) = x.by_id("shibboleth.authn.MFA.TransitionMap") else {
        return Err("authn/mfa-authn-config.xml has no shibboleth.authn.MFA.TransitionMap".into());
    };
    let entries: Vec<(String, NodeId)> = x
        .children(map)
        .into_iter()
        .filter(|e| x.local(*e) == "entry")
        .filter_map(|e| {
            let key = x.attr(e, "key")?.to_string();
            let bean = x.children(e).into_iter().find(|c| x.local(*c) == "bean")?;
            Some((key, bean))
        })
        .collect();
    let mut seq = Vec::new();
    let mut key = String::new();
    for _ in 0..16 {
        let Some((_, bean)) = entries.iter().find(|(k, _)| *k == key) else {
            break;
        };
        if x.attr_ns(*bean, P_NS, "nextFlowStrategy-ref").is_some()
            || x.attr_ns(*bean, P_NS, "nextFlowStrategyMap-ref").is_some()
            || x.children(*bean).into_iter().any(|c| {
                x.local(c) == "property" && x.attr(c, "name").is_some_and(|n| n.starts_with("nextFlowStrategy"))
            })
        {
            let strategy = x
                .attr_ns(*bean, P_NS, "nextFlowStrategy-ref")
                .or_else(|| x.attr_ns(*bean, P_NS, "nextFlowStrategyMap-ref"))
                .unwrap_or("a nested bean");
            return Err(format!(
                "after {} the next step is chosen by {strategy} (a script or function fedcheck does not run)",
                if key.is_empty() { "the start" } else { &key }
            ));
        }
        match x.attr_ns(*bean, P_NS, "nextFlow") {
            Some(next) if !seq.iter().any(|s: &String| s == next) => {
                seq.push(next.to_string());
                key = next.to_string();
            }
            _ => break,
        }
    }
    if seq.is_empty() {
        return Err("the TransitionMap has no start rule (key \"\") with a nextFlow".into());
    }
    Ok(seq)
}

fn mfa_flow(conf: &Conf) -> Finding {
    let setting = "idp.authn.flows / idp.authn.<flow>.supportedPrincipals / shibboleth.authn.MFA.TransitionMap";
    let docs_here = [docs::SHIB_MFA, docs::ENTRA_MFA_CLAIMS];
    if !conf.props_read {
        let f = Finding::new(
            ids::SHIBBOLETH_MFA_FLOW,
            Status::Warn,
            "authn/authn.properties (or idp.properties) is not in the input: fedcheck cannot tell which login flow can \
assert MFA",
        );
        return match mfa_sequence(conf) {
            Ok(seq) => f.value(seq.join(" -> ")),
            Err(_) => f,
        }
        .setting(setting)
        .docs(&docs_here);
    }
    let flows_value = conf.prop("idp.authn.flows");
    let uniq = mfa_principal_flows(conf);
    let value = format!(
        "idp.authn.flows = {}; {MULTIPLEAUTHN} supported by: {}",
        flows_value.unwrap_or("(not set: Password)"),
        if uniq.is_empty() {
            "no flow".to_string()
        } else {
            uniq.join(", ")
        }
    );
    let weak: Vec<&String> = uniq
        .iter()
        .filter(|f| FIRST_FACTOR_FLOWS.contains(&f.as_str()))
        .collect();
    let f = if !weak.is_empty() {
        Finding::new(
            ids::SHIBBOLETH_MFA_FLOW,
            Status::Fail,
            format!(
                "security: the one-factor login flow {} lists {MULTIPLEAUTHN} among its supportedPrincipals: a \
password alone can answer Entra's MFA request",
                weak.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )
        .fix(format!(
            "Remove saml2/{MULTIPLEAUTHN} from idp.authn.{}.supportedPrincipals and list it on the second factor (and \
the MFA flow)",
            weak[0]
        ))
    } else if uniq.is_empty() {
        Finding::new(
            ids::SHIBBOLETH_MFA_FLOW,
            Status::Fail,
            format!(
                "no login flow lists {MULTIPLEAUTHN} in its supportedPrincipals: Shibboleth cannot answer Entra with the \
MFA AuthnContextClassRef"
            ),
        )
        .fix(format!(
            "Enable the MFA flow (idp.authn.flows = MFA) with a second factor in its TransitionMap, and add \
saml2/{MULTIPLEAUTHN} to idp.authn.MFA.supportedPrincipals and to the second factor's supportedPrincipals"
        ))
    } else {
        enabled_flows_finding(conf, flows_value, &uniq)
    };
    f.setting(setting).value(value).docs(&docs_here)
}

/// The login flows whose `supportedPrincipals` list Entra's MFA context class, sorted, once each.
fn mfa_principal_flows(conf: &Conf) -> Vec<String> {
    let mut flows: Vec<String> = conf
        .props
        .iter()
        .filter_map(|(k, v)| {
            let flow = k.strip_prefix("idp.authn.")?.strip_suffix(".supportedPrincipals")?;
            v.split(',')
                .any(|p| p.trim() == format!("saml2/{MULTIPLEAUTHN}"))
                .then(|| flow.to_string())
        })
        .collect();
    flows.sort();
    flows.dedup();
    flows
}

/// `shibboleth.mfa-flow` when some flow lists the MFA context class (`uniq`): is one of them enabled
/// (`idp.authn.flows`), and does it run a second factor?
fn enabled_flows_finding(conf: &Conf, flows_value: Option<&str>, uniq: &[String]) -> Finding {
    let enabled: Vec<String> = match flows_value {
        None => vec!["Password".into()],
        Some(v) if v.chars().all(|c| c.is_ascii_alphanumeric() || c == '|' || c == '_') => {
            v.split('|').filter(|s| !s.is_empty()).map(str::to_string).collect()
        }
        Some(v) => {
            return Finding::new(
                ids::SHIBBOLETH_MFA_FLOW,
                Status::Warn,
                format!("idp.authn.flows is the expression {v:?}, which fedcheck does not evaluate"),
            )
        }
    };
    let mfa_enabled = enabled.iter().any(|f| f == "MFA");
    let second_direct: Vec<&String> = uniq
        .iter()
        .filter(|f| enabled.contains(f) && f.as_str() != "MFA")
        .collect();
    if mfa_enabled && uniq.iter().any(|f| f == "MFA") {
        mfa_sequence_finding(conf, uniq)
    } else if !second_direct.is_empty() {
        Finding::new(
            ids::SHIBBOLETH_MFA_FLOW,
            Status::Pass,
            format!(
                "the enabled login flow {} lists {MULTIPLEAUTHN}",
                second_direct.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )
    } else {
        Finding::new(
            ids::SHIBBOLETH_MFA_FLOW,
            Status::Fail,
            format!(
                "the flows that list {MULTIPLEAUTHN} ({}) are not enabled (idp.authn.flows = {})",
                uniq.join(", "),
                flows_value.unwrap_or("Password")
            ),
        )
        .fix("Enable the MFA flow: idp.authn.flows = MFA")
    }
}

/// `shibboleth.mfa-flow` when the enabled MFA flow lists the MFA context class: which factors its TransitionMap
/// runs, and whether the second factor lists the context class too.
fn mfa_sequence_finding(conf: &Conf, uniq: &[String]) -> Finding {
    match mfa_sequence(conf) {
        Err(why) => Finding::new(
            ids::SHIBBOLETH_MFA_FLOW,
            Status::Warn,
            format!(
                "the MFA flow is enabled and lists {MULTIPLEAUTHN}; fedcheck cannot tell which factors it \
runs: {why}"
            ),
        ),
        Ok(seq) => {
            let steps: Vec<&str> = seq.iter().map(|s| s.trim_start_matches("authn/")).collect();
            let second: Vec<&&str> = steps.iter().filter(|s| SECOND_FACTOR_FLOWS.contains(s)).collect();
            if second.is_empty() {
                Finding::new(
                    ids::SHIBBOLETH_MFA_FLOW,
                    Status::Fail,
                    format!(
                        "the MFA flow lists {MULTIPLEAUTHN} but its TransitionMap runs only {}: no \
second factor",
                        seq.join(" -> ")
                    ),
                )
                .fix(
                    "Add the second factor to the TransitionMap, e.g. <entry key=\"authn/Password\"><bean \
parent=\"shibboleth.authn.MFA.Transition\" p:nextFlow=\"authn/DuoOIDC\" /></entry>",
                )
            } else if second.iter().any(|s| uniq.iter().any(|u| u == **s)) {
                Finding::new(
                    ids::SHIBBOLETH_MFA_FLOW,
                    Status::Pass,
                    format!(
                        "the MFA flow runs {} and the second factor lists {MULTIPLEAUTHN}",
                        seq.join(" -> ")
                    ),
                )
            } else {
                Finding::new(
                    ids::SHIBBOLETH_MFA_FLOW,
                    Status::Warn,
                    format!(
                        "the MFA flow runs {} and lists {MULTIPLEAUTHN}, but the second factor ({}) does \
not: Shibboleth merges the results of the flows it ran (resultMergingStrategy), and fedcheck cannot tell whether the \
merged result carries {MULTIPLEAUTHN}",
                        seq.join(" -> "),
                        second.iter().map(|s| **s).collect::<Vec<_>>().join(", ")
                    ),
                )
                .fix(format!(
                    "Add saml2/{MULTIPLEAUTHN} to idp.authn.{}.supportedPrincipals",
                    second[0]
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_with_continuations() {
        let p = parse_properties(
            "# comment\n! also\nidp.authn.flows = MFA\nidp.authn.MFA.supportedPrincipals = \\\n    saml2/a, \\\n    saml2/b\nkey:value\nbare\n",
        );
        assert_eq!(
            p,
            vec![
                ("idp.authn.flows".to_string(), "MFA".to_string()),
                (
                    "idp.authn.MFA.supportedPrincipals".to_string(),
                    "saml2/a, saml2/b".to_string()
                ),
                ("key".to_string(), "value".to_string()),
                ("bare".to_string(), String::new()),
            ]
        );
        assert!(looks_like_properties("#x\nidp.authn.flows= Password\n"));
        assert!(!looks_like_properties("c:[Type == \"a\"] => issue(claim = c);"));
    }

    #[test]
    fn spel_collections() {
        assert_eq!(
            spel_strings("#{ {'ImmutableID', 'mail'} }"),
            vec!["ImmutableID", "mail"]
        );
        assert_eq!(spel_strings("a, b"), vec!["a", "b"]);
    }

    #[test]
    fn filter_rules() {
        let x = Xml::parse(
            "f.xml",
            r#"<AttributeFilterPolicyGroup xmlns="urn:mace:shibboleth:2.0:afp" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<AttributeFilterPolicy id="a"><PolicyRequirementRule xsi:type="Requester" value="urn:federation:MicrosoftOnline"/><AttributeRule attributeID="IDPEmail" permitAny="true"/></AttributeFilterPolicy>
<AttributeFilterPolicy id="b"><PolicyRequirementRule xsi:type="Requester" value="https://sp.example.org"/><AttributeRule attributeID="mail" permitAny="true"/></AttributeFilterPolicy>
<AttributeFilterPolicy id="c"><PolicyRequirementRule xsi:type="EntityAttributeExactMatch" attributeName="x" attributeValue="y"/><AttributeRule attributeID="uid" permitAny="true"/></AttributeFilterPolicy>
</AttributeFilterPolicyGroup>"#,
        )
        .unwrap();
        let conf = Conf {
            filter: Some(x),
            ..Conf::default()
        };
        assert!(matches!(released(&conf, "IDPEmail"), Release::Yes(_)));
        assert_eq!(released(&conf, "mail"), Release::No);
        assert!(matches!(released(&conf, "uid"), Release::Unknown(_)));
    }
}
