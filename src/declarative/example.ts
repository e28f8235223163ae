/**
 * The annotated example file `tollgate config init` writes: valid as it stands (no entities), with
 * commented examples of services, routes, consumers and plugins to uncomment.
 */

export const EXAMPLE_DECLARATIVE_CONFIG = `# ------------------------------------------------------------------------------
# An example declarative configuration file for Tollgate.
# Load it with \`declarative_config = /path/to/this/file\` (DB-less mode), check it
# with \`tollgate config parse <file>\`, or POST it to the Admin API's /config.
# ------------------------------------------------------------------------------

# Keys starting with an underscore are metadata; every other top-level key is a
# list of entities (services, routes, consumers, plugins, upstreams, ...).

# _format_version is required. "3.0" is the current format; "1.1" and "2.1" files
# are accepted and their route paths are converted on load.

_format_version: "3.0"

# _transform is optional and defaults to true: values are transformed on load
# (for example, CA certificate digests are computed). Files exported by Tollgate say
# false, because their values are already in stored form.

_transform: true

# _comment (a string) and _ignore (a list of anything) are ignored. They are allowed
# at the top level and inside any entity.

_comment: This is a top level comment, and must be a string
_ignore:
- This list entry is ignored
- and so is this one

# services:
# - name: example-service
#   url: http://example.com
#   # Tags label entities for grouping and filtering:
#   tags:
#   - example
#   # Entities that reference a service can be nested inside it:
#   routes:
#   - name: example-route
#     paths:
#     - /
#   plugins:
#   - name: rate-limiting
# - name: another-service
#   url: https://example.org

# routes:
# - name: another-route
#   # A top-level entity references another one by name or by id:
#   service: example-service
#   hosts: ["hello.com"]

# consumers:
# - username: example-user
#   # Entities of enabled plugins that belong to a consumer (the credentials of
#   # an auth plugin) can be nested inside it under their collection name.
#   plugins:
#   - name: rate-limiting
#     _comment: "default rate limits for example-user"
#     config:
#       policy: local
#       second: 5
#       hour: 10000

# An entity with several references (a plugin applying to one consumer on one
# service) is written at the top level, naming each of them:

# plugins:
# - name: rate-limiting
#   consumer: example-user
#   service: another-service
#   _comment: "example-user is extra limited when using another-service"
#   config:
#     hour: 2
#   tags:
#   - extra_limits
#   - my_tag
`;
