//! A promotion as written to a checked [`Promotion`]: its name, source (an environment's selection or a
//! package), destination, `services:` remap, tags, and `verify:` / `after:` / `xcalls:`.
use super::services::{check_export_service, check_folder, check_version_id};
use super::*;

impl Checker<'_> {
    pub(super) fn promotion(
        &mut self,
        raw: Spanned<RawPromotion>,
        known: &[String],
    ) -> Option<Promotion> {
        let RawPromotion {
            name,
            from,
            to,
            services_existing,
            update_version_type,
            services,
            source_system,
            correlation_id,
            backup,
            verify,
            after,
            xcalls,
        } = raw.value;
        let name_ok = self
            .check(name.referenced, check_name("promotion", &name.value))
            .is_some();
        let backs_up = backup.unwrap_or(services_existing == ServicesExisting::Replace);
        let raw_behaviour = RawBehaviour {
            verify,
            after,
            xcalls,
        };
        let behaviour = self.behaviour(&name.value, &from.value, backs_up, raw_behaviour);
        let source = self.source(from, known);
        let to_ok = self
            .check(to.referenced, known_environment(&to.value, known))
            .is_some();
        let services = self.service_mappings(services, source.as_ref());
        let source_system = self.tag("source_system", source_system);
        let correlation_id = self.tag("correlation_id", correlation_id);
        if !(name_ok && to_ok) {
            return None;
        }
        Some(Promotion {
            name: name.value,
            source: source?,
            to: to.value,
            services_existing,
            update_version_type,
            services: services?,
            source_system: source_system?,
            correlation_id: correlation_id?,
            backup,
            verify: behaviour.as_ref()?.verify.clone(),
            after: behaviour.as_ref()?.after.clone(),
            xcalls: behaviour?.xcalls,
        })
    }

    /// A promotion's `verify:`, `after:` and `xcalls:` (see `manifest::verify`).
    fn behaviour(
        &mut self,
        name: &str,
        from: &RawSource,
        backs_up: bool,
        raw: RawBehaviour,
    ) -> Option<super::super::verify::Behaviour> {
        let checked = check_behaviour(
            name,
            from,
            backs_up,
            raw,
            self.context.base_dir,
            &self.promotion_names,
        );
        self.problems(checked)
    }

    /// `Some(value)` when a check that may find several problems found none, else a diagnostic each.
    fn problems<T>(&mut self, checked: Result<T, Vec<Problem>>) -> Option<T> {
        checked
            .map_err(|problems| {
                for (at, message) in problems {
                    self.error(at, message);
                }
            })
            .ok()
    }

    fn source(&mut self, raw: Spanned<RawSource>, known: &[String]) -> Option<Source> {
        let at = raw.referenced;
        let mut raw = raw.value;
        match (raw.environment.take(), raw.package.take()) {
            (Some(_), Some(package)) => {
                self.error(
                    package.referenced,
                    "`from` must have exactly one of `environment` or `package`, not both",
                );
                None
            }
            (None, None) => {
                self.error(
                    at,
                    "`from` must have one of `environment` (export from an environment) or `package` (a package file)",
                );
                None
            }
            (None, Some(package)) => self.package_source(package, raw),
            (Some(environment), None) => self.environment_source(at, environment, raw, known),
        }
    }

    /// `from.package`: a relative path, and none of an export's fields.
    fn package_source(&mut self, package: Spanned<String>, raw: RawSource) -> Option<Source> {
        let extras = [
            raw.services.map(|s| ("services", s.referenced)),
            raw.folders.map(|s| ("folders", s.referenced)),
            raw.version_ids.map(|s| ("version_ids", s.referenced)),
            raw.version_filter.map(|s| ("version_filter", s.referenced)),
        ];
        let mut ok = true;
        for (field, location) in extras.into_iter().flatten() {
            ok = false;
            self.error(
                location,
                format!("`{field}` applies only to `from.environment`, not to a package"),
            );
        }
        let path = self.check(package.referenced, self.package_path(&package.value));
        Some(Source::Package {
            path: path.filter(|_| ok)?,
            display: package.value,
        })
    }

    /// `from.environment`: a known environment and at least one non-empty selection.
    fn environment_source(
        &mut self,
        at: Location,
        environment: Spanned<String>,
        raw: RawSource,
        known: &[String],
    ) -> Option<Source> {
        let RawSource {
            services,
            folders,
            version_ids,
            version_filter,
            ..
        } = raw;
        let environment_ok = self.check(
            environment.referenced,
            known_environment(&environment.value, known),
        );
        let services = self.list(services, check_export_service);
        let folders = self.list(folders, check_folder);
        let version_ids = self.list(version_ids, check_version_id);
        if services.is_empty() && folders.is_empty() && version_ids.is_empty() {
            self.error(
                at,
                "an export needs at least one of `services`, `folders`, `version_ids` (none given)",
            );
            return None;
        }
        environment_ok?;
        Some(Source::Environment {
            environment: environment.value,
            services: services.into_iter().collect::<Option<_>>()?,
            folders: folders.into_iter().collect::<Option<_>>()?,
            version_ids: version_ids.into_iter().collect::<Option<_>>()?,
            version_filter: version_filter.map(|f| f.value).unwrap_or_default(),
        })
    }

    /// Checks each entry of an optional list; `None` entries are the invalid ones.
    fn list(
        &mut self,
        list: Option<Spanned<Vec<Spanned<String>>>>,
        check: fn(&str) -> Result<(), String>,
    ) -> Vec<Option<String>> {
        let entries = list.map(|list| list.value).unwrap_or_default();
        entries
            .into_iter()
            .map(|entry| {
                let checked = check(entry.value.as_str()).map(|()| entry.value);
                self.check(entry.referenced, checked)
            })
            .collect()
    }

    fn package_path(&self, text: &str) -> Result<PathBuf, String> {
        let path = Path::new(text);
        if text.trim().is_empty() {
            return Err("`package` must not be empty".into());
        }
        if path.is_absolute() {
            return Err(format!(
                "package path `{text}` must be relative to the manifest's directory"
            ));
        }
        Ok(self.context.base_dir.join(path))
    }

    fn service_mappings(
        &mut self,
        raw: Vec<Spanned<RawServiceMapping>>,
        from: Option<&Source>,
    ) -> Option<Vec<ServiceMapping>> {
        let mut seen: BTreeMap<String, Location> = BTreeMap::new();
        let mut ok = true;
        let mut mappings = Vec::new();
        for entry in raw {
            let RawServiceMapping {
                source,
                destination,
                update_version_type,
            } = entry.value;
            let source_ok = self
                .check(source.referenced, check_folder_service(&source.value))
                .is_some();
            let destination_ok = destination.as_ref().is_none_or(|destination| {
                self.check(
                    destination.referenced,
                    check_folder_service(&destination.value),
                )
                .is_some()
            });
            if let Some(first) = seen.get(&source.value) {
                let message = format!(
                    "service `{}` is mapped twice (first at line {})",
                    source.value,
                    first.line()
                );
                self.error(source.referenced, message);
                ok = false;
            } else {
                seen.insert(source.value.clone(), source.referenced);
            }
            let offered = !source_ok
                || self
                    .check(source.referenced, offered_by(from, &source.value))
                    .is_some();
            ok &= source_ok && destination_ok && offered;
            mappings.push(ServiceMapping {
                destination: destination.map_or_else(|| source.value.clone(), |d| d.value),
                source: source.value,
                update_version_type,
            });
        }
        ok.then_some(mappings)
    }

    /// `source_system` or `correlation_id`: `Some(None)` when absent, `None` when invalid.
    fn tag(&mut self, field: &str, value: Option<Spanned<String>>) -> Option<Option<String>> {
        let Some(value) = value else {
            return Some(None);
        };
        let text = crate::manifest::flow::restore(&value.value).into_owned();
        let checked = if text.trim().is_empty() {
            Err(format!("`{field}` must not be empty"))
        } else if text.chars().count() > MAX_TAG_CHARS || text.chars().any(char::is_control) {
            Err(format!(
                "`{field}` must be one line of at most {MAX_TAG_CHARS} characters"
            ))
        } else {
            Ok(Some(text))
        };
        self.check(value.referenced, checked)
    }
}

/// Whether an export of `from` can hold the service `source` that `services:` maps (offline): an
/// environment source that names its services (by `folder/service`) and folders only exports those. A
/// package, version ids or services given by id cannot be told before the export.
fn offered_by(from: Option<&Source>, source: &str) -> Result<(), String> {
    let Some(Source::Environment {
        environment,
        services,
        folders,
        version_ids,
        ..
    }) = from
    else {
        return Ok(());
    };
    let named: Vec<&str> = services
        .iter()
        .map(|service| service.split('[').next().unwrap_or(service))
        .collect();
    if !version_ids.is_empty() || named.iter().any(|service| !service.contains('/')) {
        return Ok(());
    }
    let folder = source.split('/').next().unwrap_or_default();
    if named.contains(&source) || folders.iter().any(|f| f == folder) {
        return Ok(());
    }
    let mut offered: Vec<String> = named.iter().map(|s| format!("`{s}`")).collect();
    offered.extend(folders.iter().map(|f| format!("`{f}/*`")));
    Err(format!(
        "`{source}` is not exported from {environment} by this promotion's `from:` (it exports {}): add \
         it to `from.services`, or map one of those",
        offered.join(", ")
    ))
}
