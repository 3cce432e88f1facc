//! The message catalogue: every user-visible string in each language.

use ridechat_core::chat::{ErrorReason, Role};

use super::{Locale, Plural};

/// A fixed string of the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Text {
    Conversations,
    NoConversations,
    ChooseConversation,
    Messages,
    NoMessages,
    BackToConversations,
    MessageLabel,
    MessagePlaceholder,
    Send,
    Retry,
    Delete,
    Dismiss,
    Online,
    Connecting,
    Offline,
    Expired,
    StatusSending,
    StatusSent,
    StatusDelivered,
    StatusRead,
    StatusFailed,
    VoiceMessage,
    RideClosed,
    Loading,
    NoToken,
    SessionExpired,
    SessionUnreachable,
    StorageMemoryOnly,
    StorageFull,
}

impl Text {
    /// Returns this string in `locale`.
    pub fn get(self, locale: Locale) -> &'static str {
        let (en, fr, ar) = self.translations();
        match locale {
            Locale::En => en,
            Locale::Fr => fr,
            Locale::Ar => ar,
        }
    }

    fn translations(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Text::Conversations => ("Conversations", "Conversations", "المحادثات"),
            Text::NoConversations => (
                "No conversations yet.",
                "Aucune conversation pour l’instant.",
                "لا توجد محادثات بعد.",
            ),
            Text::ChooseConversation => (
                "Choose a conversation.",
                "Choisissez une conversation.",
                "اختر محادثة.",
            ),
            Text::Messages => ("Messages", "Messages", "الرسائل"),
            Text::NoMessages => (
                "No messages yet.",
                "Aucun message pour l’instant.",
                "لا توجد رسائل بعد.",
            ),
            Text::BackToConversations => (
                "Back to conversations",
                "Retour aux conversations",
                "العودة إلى المحادثات",
            ),
            Text::MessageLabel => ("Message", "Message", "الرسالة"),
            Text::MessagePlaceholder => ("Write a message", "Écrire un message", "اكتب رسالة"),
            Text::Send => ("Send", "Envoyer", "إرسال"),
            Text::Retry => ("Retry", "Réessayer", "إعادة المحاولة"),
            Text::Delete => ("Delete", "Supprimer", "حذف"),
            Text::Dismiss => ("Dismiss", "Fermer", "إغلاق"),
            Text::Online => ("Online", "En ligne", "متصل"),
            Text::Connecting => ("Connecting…", "Connexion…", "جارٍ الاتصال…"),
            Text::Offline => ("Offline", "Hors ligne", "غير متصل"),
            Text::Expired => ("Session expired", "Session expirée", "انتهت الجلسة"),
            Text::StatusSending => ("Sending", "Envoi en cours", "جارٍ الإرسال"),
            Text::StatusSent => ("Sent", "Envoyé", "أُرسلت"),
            Text::StatusDelivered => ("Delivered", "Distribué", "وصلت"),
            Text::StatusRead => ("Read", "Lu", "قُرئت"),
            Text::StatusFailed => ("Not sent", "Non envoyé", "لم تُرسل"),
            Text::VoiceMessage => ("Voice message", "Message vocal", "رسالة صوتية"),
            Text::RideClosed => (
                "This ride has ended. The conversation can be read but not answered.",
                "Cette course est terminée. La conversation reste lisible, sans réponse possible.",
                "انتهت هذه الرحلة. يمكن قراءة المحادثة دون الرد عليها.",
            ),
            Text::Loading => ("Loading…", "Chargement…", "جارٍ التحميل…"),
            Text::NoToken => (
                "No session. Open ridechat from the demo page or from your partner portal.",
                "Aucune session. Ouvrez ridechat depuis la page de démonstration ou votre portail partenaire.",
                "لا توجد جلسة. افتح ridechat من صفحة العرض أو من بوابة الشريك.",
            ),
            Text::SessionExpired => (
                "Your session has expired. Open ridechat again from the page that started it.",
                "Votre session a expiré. Rouvrez ridechat depuis la page qui l’a lancé.",
                "انتهت صلاحية جلستك. افتح ridechat مجددًا من الصفحة التي فتحته.",
            ),
            Text::SessionUnreachable => (
                "Cannot reach the server to start your session. Retrying…",
                "Impossible de joindre le serveur pour ouvrir votre session. Nouvel essai…",
                "تعذّر الوصول إلى الخادم لبدء جلستك. جارٍ إعادة المحاولة…",
            ),
            Text::StorageMemoryOnly => (
                "Messages cannot be saved on this device (private mode, or another tab is updating ridechat). They are kept only until this page closes.",
                "Les messages ne peuvent pas être enregistrés sur cet appareil (navigation privée, ou un autre onglet met ridechat à jour). Ils sont conservés jusqu’à la fermeture de cette page.",
                "لا يمكن حفظ الرسائل على هذا الجهاز (تصفح خاص، أو علامة تبويب أخرى تحدّث ridechat). ستبقى حتى إغلاق هذه الصفحة فقط.",
            ),
            Text::StorageFull => (
                "This device’s storage for ridechat is full. Free some space, then reload.",
                "L’espace de stockage de ridechat sur cet appareil est plein. Libérez de la place, puis rechargez.",
                "مساحة تخزين ridechat على هذا الجهاز ممتلئة. أفرغ بعض المساحة ثم أعد التحميل.",
            ),
        }
    }
}

/// Returns "<name> is typing…". The name is wrapped in Unicode bidi
/// isolates (FSI, PDI), so a Latin name keeps its order in Arabic text.
pub fn typing(locale: Locale, name: &str) -> String {
    let name = format!("\u{2068}{name}\u{2069}");
    match locale {
        Locale::En => format!("{name} is typing…"),
        Locale::Fr => format!("{name} est en train d’écrire…"),
        Locale::Ar => format!("{name} يكتب…"),
    }
}

/// Returns the name of a peer's role.
pub fn role(locale: Locale, role: Role) -> &'static str {
    match (role, locale) {
        (Role::Rider, Locale::En) => "Rider",
        (Role::Rider, Locale::Fr) => "Passager",
        (Role::Rider, Locale::Ar) => "راكب",
        (Role::Driver, Locale::En) => "Driver",
        (Role::Driver, Locale::Fr) => "Chauffeur",
        (Role::Driver, Locale::Ar) => "سائق",
    }
}

/// Returns "N unread" for a conversation's badge label.
pub fn unread(locale: Locale, n: u64) -> String {
    let plural = locale.plural(n);
    match locale {
        Locale::En => format!("{n} unread"),
        Locale::Fr if plural == Plural::One => format!("{n} non lu"),
        Locale::Fr => format!("{n} non lus"),
        Locale::Ar => match plural {
            Plural::Zero => "لا رسائل غير مقروءة".to_owned(),
            Plural::One => "رسالة واحدة غير مقروءة".to_owned(),
            Plural::Two => "رسالتان غير مقروءتين".to_owned(),
            Plural::Few => format!("{n} رسائل غير مقروءة"),
            Plural::Many | Plural::Other => format!("{n} رسالة غير مقروءة"),
        },
    }
}

/// Returns "N waiting to send" for the connection banner.
pub fn queued(locale: Locale, n: u64) -> String {
    let plural = locale.plural(n);
    match locale {
        Locale::En if plural == Plural::One => format!("{n} message waiting to send"),
        Locale::En => format!("{n} messages waiting to send"),
        Locale::Fr if plural == Plural::One => format!("{n} message en attente d’envoi"),
        Locale::Fr => format!("{n} messages en attente d’envoi"),
        Locale::Ar => match plural {
            Plural::Zero => "لا رسائل في انتظار الإرسال".to_owned(),
            Plural::One => "رسالة واحدة في انتظار الإرسال".to_owned(),
            Plural::Two => "رسالتان في انتظار الإرسال".to_owned(),
            Plural::Few => format!("{n} رسائل في انتظار الإرسال"),
            Plural::Many | Plural::Other => format!("{n} رسالة في انتظار الإرسال"),
        },
    }
}

/// Returns the hint shown when a draft is over the length limit.
pub fn too_long(locale: Locale, max: usize) -> String {
    match locale {
        Locale::En => format!("Messages are limited to {max} characters."),
        Locale::Fr => format!("Les messages sont limités à {max} caractères."),
        Locale::Ar => format!("الحد الأقصى للرسالة {max} حرف."),
    }
}

/// Explains why the server rejected a message for good.
pub fn failure(locale: Locale, reason: ErrorReason) -> &'static str {
    match (reason, locale) {
        (ErrorReason::Invalid, Locale::En) => "The server rejected this message as invalid.",
        (ErrorReason::Invalid, Locale::Fr) => "Le serveur a refusé ce message comme invalide.",
        (ErrorReason::Invalid, Locale::Ar) => "رفض الخادم هذه الرسالة لأنها غير صالحة.",
        (ErrorReason::TooLong, Locale::En) => "This message is too long.",
        (ErrorReason::TooLong, Locale::Fr) => "Ce message est trop long.",
        (ErrorReason::TooLong, Locale::Ar) => "هذه الرسالة طويلة جدًا.",
        (ErrorReason::RateLimited, Locale::En) => "Too many messages at once. Retry in a moment.",
        (ErrorReason::RateLimited, Locale::Fr) => {
            "Trop de messages à la fois. Réessayez dans un instant."
        }
        (ErrorReason::RateLimited, Locale::Ar) => "رسائل كثيرة دفعة واحدة. أعد المحاولة بعد قليل.",
        (ErrorReason::Closed, Locale::En) => "The ride has ended, so this message was not sent.",
        (ErrorReason::Closed, Locale::Fr) => {
            "La course est terminée : ce message n’a pas été envoyé."
        }
        (ErrorReason::Closed, Locale::Ar) => "انتهت الرحلة، لذا لم تُرسل هذه الرسالة.",
        (ErrorReason::Unauthorized, Locale::En) => {
            "This account cannot write in this conversation."
        }
        (ErrorReason::Unauthorized, Locale::Fr) => {
            "Ce compte ne peut pas écrire dans cette conversation."
        }
        (ErrorReason::Unauthorized, Locale::Ar) => "لا يمكن لهذا الحساب الكتابة في هذه المحادثة.",
        (ErrorReason::NotFound, Locale::En) => "This conversation no longer exists.",
        (ErrorReason::NotFound, Locale::Fr) => "Cette conversation n’existe plus.",
        (ErrorReason::NotFound, Locale::Ar) => "هذه المحادثة لم تعد موجودة.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unread_uses_plural_forms() {
        assert_eq!(unread(Locale::Fr, 1), "1 non lu");
        assert_eq!(unread(Locale::Fr, 3), "3 non lus");
        assert_eq!(unread(Locale::Ar, 2), "رسالتان غير مقروءتين");
        assert_eq!(unread(Locale::Ar, 5), "5 رسائل غير مقروءة");
        assert_eq!(unread(Locale::Ar, 12), "12 رسالة غير مقروءة");
    }

    #[test]
    fn typing_isolates_the_name() {
        assert_eq!(
            typing(Locale::En, "Youssef"),
            "\u{2068}Youssef\u{2069} is typing…"
        );
        assert_eq!(
            typing(Locale::Fr, "Ana"),
            "\u{2068}Ana\u{2069} est en train d’écrire…"
        );
        assert_eq!(typing(Locale::Ar, "Ana"), "\u{2068}Ana\u{2069} يكتب…");
    }

    #[test]
    fn queued_uses_plural_forms() {
        assert_eq!(queued(Locale::En, 1), "1 message waiting to send");
        assert_eq!(queued(Locale::En, 0), "0 messages waiting to send");
        assert_eq!(queued(Locale::Fr, 0), "0 message en attente d’envoi");
    }
}
