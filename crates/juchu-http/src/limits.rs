//! The request limits of `juchu_domain::limits` written into the OpenAPI document: `maxLength` on
//! every string and `maxItems` / `maxProperties` on every list and map a request body can carry,
//! and `maxLength` on query parameters. Derived from the same tables the edge enforces, so the
//! document and the server cannot disagree (a client generator or schemathesis sees the limits).

use juchu_domain::limits::{MAX_QUERY_CHARS, max_chars, max_items};
use std::collections::BTreeSet;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{AdditionalProperties, ArrayItems, Schema, SchemaType, Type};
use utoipa::openapi::{OpenApi, RefOr};

/// Adds the limits to every schema reachable from a request body (and to query parameters).
pub fn annotate(doc: &mut OpenApi) {
    let mut pending = Vec::new();
    for item in doc.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in ops.into_iter().flatten() {
            annotate_operation(op, &mut pending);
        }
    }
    let mut done = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if !done.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = doc
            .components
            .as_mut()
            .and_then(|c| c.schemas.get_mut(&name))
        {
            visit(schema, "", &mut pending);
        }
    }
}

fn annotate_operation(op: &mut Operation, pending: &mut Vec<String>) {
    if let Some(body) = &mut op.request_body {
        // JSON bodies only: an uploaded file (text/csv, octet-stream) is bounded by its size.
        for (media, content) in body.content.iter_mut() {
            if media != "application/json" {
                continue;
            }
            if let Some(schema) = &mut content.schema {
                visit(schema, "", pending);
            }
        }
    }
    for p in op.parameters.iter_mut().flatten() {
        if p.parameter_in == ParameterIn::Query
            && let Some(RefOr::T(Schema::Object(o))) = &mut p.schema
            && is(&o.schema_type, Type::String)
        {
            o.max_length = Some(MAX_QUERY_CHARS);
        }
    }
}

fn is(t: &SchemaType, want: Type) -> bool {
    match t {
        SchemaType::Type(t) => *t == want,
        SchemaType::Array(ts) => ts.contains(&want),
        SchemaType::AnyValue => false,
    }
}

/// `name`: the property the schema sits under (an array's items go by the array's name), as the
/// edge check names fields.
fn visit(s: &mut RefOr<Schema>, name: &str, pending: &mut Vec<String>) {
    match s {
        RefOr::Ref(r) => {
            if let Some(c) = r.ref_location.strip_prefix("#/components/schemas/") {
                pending.push(c.to_owned());
            }
        }
        RefOr::T(schema) => visit_schema(schema, name, pending),
    }
}

fn visit_schema(s: &mut Schema, name: &str, pending: &mut Vec<String>) {
    match s {
        Schema::Object(o) => {
            if is(&o.schema_type, Type::String) && o.enum_values.is_none() {
                o.max_length = Some(max_chars(name));
            }
            for (k, v) in o.properties.iter_mut() {
                visit(v, k, pending);
            }
            if let Some(extra) = &mut o.additional_properties {
                if let AdditionalProperties::RefOr(v) = extra.as_mut() {
                    visit(v, name, pending);
                }
                o.max_properties = Some(max_items(name));
            }
        }
        Schema::Array(a) => {
            a.max_items = Some(max_items(name));
            if let ArrayItems::RefOrSchema(items) = &mut a.items {
                visit(items, name, pending);
            }
        }
        Schema::OneOf(x) => x.items.iter_mut().for_each(|i| visit(i, name, pending)),
        Schema::AllOf(x) => x.items.iter_mut().for_each(|i| visit(i, name, pending)),
        Schema::AnyOf(x) => x.items.iter_mut().for_each(|i| visit(i, name, pending)),
        _ => {}
    }
}
