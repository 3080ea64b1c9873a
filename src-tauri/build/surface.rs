//! The command surface, read from the `#[tauri::command]` functions of `src/commands/` — the one
//! declaration of what the UI may call. Everything else is generated from it: the invoke
//! handler, each command's `allow-` permission and the main window's capability, and the
//! TypeScript `Commands` interface (names, argument names and types, result types) that the
//! UI's one `call()` is typed with. Renaming a command or an argument in Rust changes the
//! interface, and the UI stops type-checking until it follows.

use std::fmt::Write as _;
use std::path::Path;

use syn::{FnArg, GenericArgument, Item, Pat, PathArguments, ReturnType, Type};

/// One command as the UI sees it.
pub struct Command {
    /// The module under `commands::`, e.g. `orders`.
    pub module: String,
    pub name: String,
    /// The first paragraph of its doc comment.
    pub doc: String,
    pub args: Args,
    /// The TypeScript type of what it returns on success.
    pub result: String,
}

pub enum Args {
    /// Named arguments, as `invoke` takes them: (name in the payload, TypeScript type).
    Named(Vec<(String, String)>),
    /// The whole request body (a `tauri::ipc::Request`): the UI sends raw bytes.
    Raw,
}

/// Arguments Tauri fills in itself: not part of what the UI sends.
const INJECTED: &[&str] = &[
    "Shared",
    "State",
    "AppHandle",
    "Window",
    "Webview",
    "WebviewWindow",
];

/// Every command in `dir` (one module per file, in file-name order, then source order).
pub fn read(dir: &Path) -> Vec<Command> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("read src/commands")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs") && !p.ends_with("mod.rs"))
        .collect();
    files.sort();
    let mut commands = Vec::new();
    for file in files {
        let module = file.file_stem().unwrap().to_string_lossy().into_owned();
        let source = std::fs::read_to_string(&file).expect("read a commands module");
        let parsed = syn::parse_file(&source).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for item in parsed.items {
            let Item::Fn(f) = item else { continue };
            let Some(attr) = f.attrs.iter().find(|a| is_command(a)) else {
                continue;
            };
            let name = f.sig.ident.to_string();
            let context = format!("{}::{name}", module);
            commands.push(Command {
                args: args(&f.sig.inputs, snake_case_args(attr), &context),
                result: result(&f.sig.output, &context),
                doc: doc(&f.attrs),
                module: module.clone(),
                name,
            });
        }
    }
    commands
}

fn is_command(attr: &syn::Attribute) -> bool {
    let segments: Vec<_> = attr
        .path()
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    segments == ["tauri", "command"]
}

/// `#[tauri::command(rename_all = "snake_case")]` keeps argument names as written; by default
/// Tauri expects them in camelCase from JavaScript.
fn snake_case_args(attr: &syn::Attribute) -> bool {
    let mut snake = false;
    if matches!(attr.meta, syn::Meta::List(_)) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename_all") {
                let value: syn::LitStr = meta.value()?.parse()?;
                snake = value.value() == "snake_case";
            } else if meta.input.peek(syn::Token![=]) {
                meta.value()?.parse::<syn::Expr>()?;
            }
            Ok(())
        })
        .expect("a well-formed #[tauri::command(...)]");
    }
    snake
}

fn args(
    inputs: &syn::punctuated::Punctuated<FnArg, syn::Token![,]>,
    snake: bool,
    context: &str,
) -> Args {
    let mut named = Vec::new();
    for input in inputs {
        let FnArg::Typed(arg) = input else {
            panic!("{context}: a command is a free function");
        };
        let type_name = last_ident(&arg.ty);
        if INJECTED.contains(&type_name.as_str()) {
            continue;
        }
        if type_name == "Request" {
            return Args::Raw;
        }
        let Pat::Ident(ident) = &*arg.pat else {
            panic!("{context}: arguments are plain names");
        };
        let name = ident.ident.to_string();
        let name = if snake { name } else { camel_case(&name) };
        named.push((name, typescript(&arg.ty, context)));
    }
    Args::Named(named)
}

/// The `T` of `-> Result<T, CommandError>`.
fn result(output: &ReturnType, context: &str) -> String {
    let ReturnType::Type(_, ty) = output else {
        return "null".to_owned();
    };
    match generic_args(ty, "Result").as_slice() {
        [ok, _] => typescript(ok, context),
        _ => panic!("{context}: a command returns Result<T, CommandError>"),
    }
}

/// The TypeScript type of a Rust argument or result type, as ts-rs spells it (with
/// `TS_RS_LARGE_INT=number`): a named type is the binding file of the same name.
pub fn typescript(ty: &Type, context: &str) -> String {
    match ty {
        Type::Reference(r) => typescript(&r.elem, context),
        Type::Tuple(t) if t.elems.is_empty() => "null".to_owned(),
        Type::Tuple(t) => {
            let parts: Vec<_> = t.elems.iter().map(|e| typescript(e, context)).collect();
            format!("[{}]", parts.join(", "))
        }
        Type::Path(_) => {
            let name = last_ident(ty);
            match name.as_str() {
                "String" | "str" => "string".to_owned(),
                "bool" => "boolean".to_owned(),
                "i8" | "i16" | "i32" | "i64" | "isize" | "u8" | "u16" | "u32" | "u64" | "usize"
                | "f32" | "f64" => "number".to_owned(),
                "Option" => format!("{} | null", one_arg(ty, "Option", context)),
                "Vec" => {
                    let inner = one_arg(ty, "Vec", context);
                    if inner.contains(' ') {
                        format!("({inner})[]")
                    } else {
                        format!("{inner}[]")
                    }
                }
                _ => name,
            }
        }
        _ => panic!("{context}: an argument or result type build.rs cannot name in TypeScript"),
    }
}

fn one_arg(ty: &Type, wrapper: &str, context: &str) -> String {
    match generic_args(ty, wrapper).as_slice() {
        [inner] => typescript(inner, context),
        _ => panic!("{context}: {wrapper} takes one type"),
    }
}

fn generic_args<'a>(ty: &'a Type, expected: &str) -> Vec<&'a Type> {
    let Type::Path(path) = ty else {
        return Vec::new();
    };
    let Some(last) = path.path.segments.last() else {
        return Vec::new();
    };
    if last.ident != expected {
        return Vec::new();
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return Vec::new();
    };
    args.args
        .iter()
        .filter_map(|a| match a {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .collect()
}

fn last_ident(ty: &Type) -> String {
    match ty {
        Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        Type::Reference(r) => last_ident(&r.elem),
        _ => String::new(),
    }
}

fn camel_case(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn doc(attrs: &[syn::Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs {
        let syn::Meta::NameValue(nv) = &attr.meta else {
            continue;
        };
        if !nv.path.is_ident("doc") {
            continue;
        }
        if let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) = &nv.value
        {
            let line = s.value().trim().to_owned();
            if line.is_empty() {
                break;
            }
            lines.push(line);
        }
    }
    lines.join(" ")
}

/// `tauri::generate_handler![...]` over every command, for `main.rs` to include.
pub fn handler(commands: &[Command]) -> String {
    let paths: Vec<_> = commands
        .iter()
        .map(|c| format!("crate::commands::{}::{}", c.module, c.name))
        .collect();
    format!(
        "tauri::generate_handler![\n    {}\n]\n",
        paths.join(",\n    ")
    )
}

/// The main window's capability: exactly the shop's own commands.
/// What the window may use beyond the shop's own commands: the native open and save dialogs
/// (Import, Export) and listening to the events the commands send (import progress).
const PLUGIN_PERMISSIONS: &[&str] = &[
    "dialog:allow-open",
    "dialog:allow-save",
    "core:event:allow-listen",
    "core:event:allow-unlisten",
];

pub fn capability(commands: &[Command]) -> String {
    let permissions: Vec<_> = commands
        .iter()
        .map(|c| format!("    \"allow-{}\"", c.name.replace('_', "-")))
        .chain(PLUGIN_PERMISSIONS.iter().map(|p| format!("    \"{p}\"")))
        .collect();
    format!(
        "{{\n  \"$schema\": \"../gen/schemas/desktop-schema.json\",\n  \"identifier\": \"main\",\n  \
         \"description\": \"Generated by build.rs from src/commands: the one window, storefront and \
         back office, may call the shop's own commands, open the native file dialogs and hear the commands' events, and nothing else.\",\n  \"windows\": \
         [\"main\"],\n  \"permissions\": [\n{}\n  ]\n}}\n",
        permissions.join(",\n")
    )
}

/// The TypeScript `Commands` interface.
pub fn typescript_interface(commands: &[Command]) -> String {
    const BUILT_IN: &[&str] = &["string", "number", "boolean", "null", "Record"];
    let mut imports = std::collections::BTreeSet::new();
    let mut body = String::new();
    for c in commands {
        let args = match &c.args {
            Args::Raw => "Uint8Array".to_owned(),
            Args::Named(named) if named.is_empty() => "Record<string, never>".to_owned(),
            Args::Named(named) => {
                let fields: Vec<_> = named.iter().map(|(n, t)| format!("{n}: {t}")).collect();
                format!("{{ {} }}", fields.join("; "))
            }
        };
        let types = match &c.args {
            Args::Named(named) => named.iter().map(|(_, t)| t.clone()).collect(),
            Args::Raw => Vec::new(),
        };
        for t in types.iter().chain(std::iter::once(&c.result)) {
            for word in t.split(|ch: char| !ch.is_alphanumeric() && ch != '_') {
                if word.starts_with(|ch: char| ch.is_ascii_uppercase()) && !BUILT_IN.contains(&word)
                {
                    imports.insert(word.to_owned());
                }
            }
        }
        if !c.doc.is_empty() {
            writeln!(body, "  /** {} */", c.doc.replace("*/", "*\\/")).unwrap();
        }
        writeln!(
            body,
            "  {}: {{ args: {args}; result: {} }};",
            c.name, c.result
        )
        .unwrap();
    }
    let mut out = String::from(
        "// Generated by src-tauri/build.rs from the #[tauri::command] functions in\n\
         // src-tauri/src/commands/: do not edit. `scripts/check-bindings.sh` checks it is current.\n\n",
    );
    for name in &imports {
        writeln!(out, "import type {{ {name} }} from './{name}';").unwrap();
    }
    out.push_str(
        "\n/** What the shell offers: each command's arguments, as `invoke` takes them, and its result. */\n\
         export interface Commands {\n",
    );
    out.push_str(&body);
    out.push_str("}\n");
    out
}
