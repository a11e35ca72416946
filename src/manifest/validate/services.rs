//! The forms of a service, a folder and a version id as a manifest names them.

/// `folder/service`: two non-empty parts without surrounding spaces or brackets.
pub(in crate::manifest) fn check_folder_service(text: &str) -> Result<(), String> {
    let valid = text.split_once('/').is_some_and(|(folder, service)| {
        check_folder(folder).is_ok()
            && check_folder(service).is_ok()
            && !service.contains(['[', ']'])
    });
    if valid {
        Ok(())
    } else {
        Err(format!(
            "invalid service `{text}`, expected `folder/service`"
        ))
    }
}

/// An export's service: a service id, `folder/service` or `folder/service[version]`.
pub(super) fn check_export_service(text: &str) -> Result<(), String> {
    if uuid::Uuid::try_parse(text).is_ok() {
        return Ok(());
    }
    let (uri, version) = match text.strip_suffix(']').and_then(|t| t.split_once('[')) {
        Some((uri, version)) => (uri, Some(version)),
        None => (text, None),
    };
    let version_ok = version.is_none_or(|v| {
        let parts: Vec<&str> = v.split('.').collect();
        parts.len() <= 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    });
    if version_ok && check_folder_service(uri).is_ok() {
        Ok(())
    } else {
        Err(format!(
            "invalid service `{text}`, expected `folder/service`, `folder/service[1.2.3]` or a service id"
        ))
    }
}

/// A folder (or service) name: non-empty, no `/`, no surrounding white space.
pub(super) fn check_folder(text: &str) -> Result<(), String> {
    if text.is_empty()
        || text.contains('/')
        || text.trim() != text
        || text.chars().any(char::is_control)
    {
        Err(format!("invalid folder `{}`", text.escape_debug()))
    } else {
        Ok(())
    }
}

pub(super) fn check_version_id(text: &str) -> Result<(), String> {
    uuid::Uuid::try_parse(text).map(|_| ()).map_err(|_| {
        format!(
            "invalid version id `{}`, expected a UUID",
            text.escape_debug()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_services_take_uris_versions_and_ids() {
        for ok in [
            "pricing/quote",
            "pricing/quote[1]",
            "pricing/quote[1.2]",
            "pricing/quote[1.2.3]",
            "3f1c5b9e-2a4d-4c6e-8f0a-1b2c3d4e5f60",
        ] {
            assert_eq!(check_export_service(ok), Ok(()), "{ok}");
        }
        for bad in [
            "pricing",
            "pricing/",
            "/quote",
            "a/b/c",
            "pricing/quote[x]",
            "pricing/quote[1.2.3.4]",
            " a/b",
        ] {
            assert!(check_export_service(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mappings_take_plain_folder_service_only() {
        assert_eq!(check_folder_service("pricing/quote-v2"), Ok(()));
        assert!(check_folder_service("pricing/quote[1.0]").is_err());
    }
}
