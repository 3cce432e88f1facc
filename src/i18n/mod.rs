//! User-visible text in English, French and Arabic.
//!
//! Every fixed string of the UI comes from [`catalogue`]. Counts go through the
//! plural rules of each language ([`Plural`]), taken from the Unicode CLDR
//! plural rules for cardinal numbers: English and French have `one` and
//! `other` (French `one` is 0 and 1), Arabic has all six categories.
//!
//! NOTE: error notices from the session (`Update::Error`) arrive as English
//! text from ridechat-core and are shown as they are.

pub mod catalogue;

pub use catalogue::Text;

/// A supported language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    #[default]
    En,
    Fr,
    Ar,
}

impl Locale {
    /// Parses a BCP 47 language tag such as `fr-CA` by its primary language.
    /// Returns `None` for a language without a catalogue.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Locale::En),
            "fr" => Some(Locale::Fr),
            "ar" => Some(Locale::Ar),
            _ => None,
        }
    }

    /// Picks the first supported language of the browser's preferences
    /// (`navigator.languages`, then `navigator.language`), or English.
    pub fn from_browser() -> Locale {
        let Some(navigator) = web_sys::window().map(|window| window.navigator()) else {
            return Locale::En;
        };
        let languages = navigator.languages();
        let preferred = languages
            .iter()
            .filter_map(|tag| tag.as_string())
            .chain(navigator.language());
        preferred
            .filter_map(|tag| Locale::from_tag(&tag))
            .next()
            .unwrap_or_default()
    }

    /// Returns the language tag for the `lang` attribute.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Fr => "fr",
            Locale::Ar => "ar",
        }
    }

    /// Returns the text direction for the `dir` attribute.
    pub fn direction(self) -> &'static str {
        match self {
            Locale::Ar => "rtl",
            Locale::En | Locale::Fr => "ltr",
        }
    }

    /// Returns the plural category of the count `n` in this language.
    pub fn plural(self, n: u64) -> Plural {
        match self {
            Locale::En if n == 1 => Plural::One,
            Locale::En => Plural::Other,
            Locale::Fr if n <= 1 => Plural::One,
            Locale::Fr => Plural::Other,
            Locale::Ar => match (n, n % 100) {
                (0, _) => Plural::Zero,
                (1, _) => Plural::One,
                (2, _) => Plural::Two,
                (_, 3..=10) => Plural::Few,
                (_, 11..=99) => Plural::Many,
                _ => Plural::Other,
            },
        }
    }
}

/// A CLDR plural category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Plural {
    Zero,
    One,
    Two,
    Few,
    Many,
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_from_region_tags() {
        assert_eq!(Locale::from_tag("fr-CA"), Some(Locale::Fr));
        assert_eq!(Locale::from_tag("ar_MA"), Some(Locale::Ar));
        assert_eq!(Locale::from_tag("EN-gb"), Some(Locale::En));
        assert_eq!(Locale::from_tag("de-DE"), None);
        assert_eq!(Locale::from_tag(""), None);
    }

    #[test]
    fn arabic_plural_categories() {
        let cases = [
            (0, Plural::Zero),
            (1, Plural::One),
            (2, Plural::Two),
            (3, Plural::Few),
            (10, Plural::Few),
            (11, Plural::Many),
            (99, Plural::Many),
            (100, Plural::Other),
            (102, Plural::Other),
            (103, Plural::Few),
            (111, Plural::Many),
        ];
        for (n, expected) in cases {
            assert_eq!(Locale::Ar.plural(n), expected, "Arabic plural of {n}");
        }
    }

    #[test]
    fn french_counts_zero_as_one() {
        assert_eq!(Locale::Fr.plural(0), Plural::One);
        assert_eq!(Locale::Fr.plural(1), Plural::One);
        assert_eq!(Locale::Fr.plural(2), Plural::Other);
        assert_eq!(Locale::En.plural(0), Plural::Other);
    }
}
