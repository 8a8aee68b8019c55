/* The libxmlsec1 headers fedcheck's build script generates bindings from (build.rs). */
#include <xmlsec/xmlsec.h>
#include <xmlsec/keys.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/openssl/app.h>
