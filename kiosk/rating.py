"""好差评: the five-face rating screen, shared by the resident kiosk and the crew console
(turned round to the resident after completion). Reasons are a pick-list for the two lowest levels;
after a bad rating the resident may leave a phone number for a callback, below the consent text.
"""
from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.properties import ListProperty, NumericProperty, StringProperty

from kiosk.i18n import pick
from kiosk.widgets import BigButton, KioskScreen, load_kv
from ztc.domain.vocabulary import CALLBACK_CONSENT, RATING_LEVELS, RATING_REASONS, REASONS_REQUIRED_AT_OR_BELOW

load_kv(__file__)

FACE_COLOURS = {5: (0.10, 0.60, 0.25, 1), 4: (0.35, 0.65, 0.20, 1), 3: (0.75, 0.60, 0.05, 1),
                2: (0.85, 0.40, 0.05, 1), 1: (0.80, 0.12, 0.12, 1)}


class FaceButton(BigButton):
    """A drawn face (smile to frown) with the level's name under it."""

    level = NumericProperty(3)
    colour = ListProperty([0.75, 0.60, 0.05, 1])

    def on_level(self, _inst: object, level: int) -> None:
        self.colour = list(FACE_COLOURS[int(level)])


class RatingScreen(KioskScreen):
    """``ref`` (ticket number or id) is preset by the crew console, or typed by the resident."""

    letter = StringProperty("")  # the service letter the resident picked for the number
    ref: str | None = None
    level: int | None = None
    return_to: str | None = None  # screen after thanks; None: home
    reasons: set[str]  # the reasons ticked; set by start() or on first entry

    def on_kv_post(self, *args: object) -> None:
        # Only one of the two parts is in the tree at a time (a hidden widget would still take touches).
        self._parts = {"number": self.ids.number_box.__self__, "faces": self.ids.faces.__self__,
                       "callback": self.ids.callback_box.__self__}  # strong refs
        self.ids.body.remove_widget(self._parts["faces"])
        self.ids.body.remove_widget(self._parts["callback"])
        self.asking_callback = False

    def _show_part(self, name: str) -> None:
        part = self._parts[name]
        if part.parent is None:
            self.ids.body.clear_widgets()
            self.ids.body.add_widget(part)

    def start(self, ref: str | None, return_to: str | None = None) -> None:
        self.ref, self.level, self.return_to, self.reasons = ref, None, return_to, set()
        self.app.go(self.name)

    def on_pre_enter(self, *args: Any) -> None:
        if not hasattr(self, "reasons"):
            self.reasons = set()
        self.ids.keypad.value = ""
        self.ids.phone_keypad.value = ""
        self.asking_callback = False
        self.ids.thanks.text = ""
        self.letter = ""
        super().on_pre_enter(*args)

    def on_leave(self, *args: Any) -> None:
        if self.return_to is None:
            self.ref = None
        Clock.unschedule(self._after_thanks)

    def refresh(self) -> None:
        if self.asking_callback:
            self._show_part("callback")
            self.ids.prompt.text = self.t("callback_title")
            self.ids.consent_text.text = pick(CALLBACK_CONSENT, self.app.lang)
            self.ids.submit_button.opacity, self.ids.submit_button.disabled = 0, True
            return
        asking_number = self.ref is None
        self._show_part("number" if asking_number else "faces")
        if asking_number:
            self.ids.submit_button.opacity, self.ids.submit_button.disabled = 0, True
            self.ids.prompt.text = self.t("rate_ticket")
            letters = [c.code for c in self.app.state.categories] if self.app.state else []
            chosen = self.letter
            buttons = []
            for letter in letters:
                b = self.button(letter, lambda x=letter: self.pick_letter(x), role="choice")
                b.chosen = letter == chosen
                buttons.append(b)
            self.fill(self.ids.letters, buttons)
            return
        self.ids.prompt.text = f"{self.ref}  {self.t('rate_title')}"
        self.fill(self.ids.face_row, [self._face(level) for level in sorted(RATING_LEVELS, reverse=True)])
        low = self.level is not None and self.level <= REASONS_REQUIRED_AT_OR_BELOW
        self.ids.reasons_title.text = self.t("rate_reasons") if low else ""
        reasons = []
        if low:
            for key, pair in RATING_REASONS.items():
                b = self.button(pick(pair, self.app.lang), lambda k=key: self.toggle_reason(k), role="choice")
                b.chosen = key in self.reasons
                reasons.append(b)
        self.fill(self.ids.reasons, reasons)
        self.ids.submit_button.disabled = not (low and self.reasons)
        self.ids.submit_button.opacity = 1 if low else 0

    def _face(self, level: int) -> FaceButton:
        b = FaceButton(level=level, text=pick(RATING_LEVELS[level], self.app.lang), role="choice")
        b.chosen = level == self.level
        b.bind(on_release=lambda *_: self.choose(level))
        return b

    def pick_letter(self, letter: str) -> None:
        self.letter = letter
        self.refresh()

    def enter_number(self) -> None:
        letter, digits = self.letter, self.ids.keypad.value
        if letter and digits:
            self.ref = f"{letter}{int(digits):03d}"
            self.refresh()

    def choose(self, level: int) -> None:
        self.level = level
        if level > REASONS_REQUIRED_AT_OR_BELOW:
            self.reasons = set()
            self.submit()
        else:
            self.refresh()

    def toggle_reason(self, key: str) -> None:
        self.reasons ^= {key}
        self.refresh()

    def submit(self) -> None:
        assert self.ref is not None and self.level is not None
        self.app.bridge.call(self.app.engine.rate, self.ref, self.level, sorted(self.reasons),
                             on_done=self._rated, on_error=self._failed)

    def _rated(self, _result: dict[str, Any]) -> None:
        if self.level is not None and self.level <= REASONS_REQUIRED_AT_OR_BELOW:
            self.asking_callback = True  # offered, never required: 不需要回访 ends the rating as before
            self.ids.thanks.text = self.t("rate_thanks")
            self.refresh()
            return
        self._thank()

    def send_callback(self) -> None:
        """The resident pressed 同意并留下号码 under the consent text: that press is the consent."""
        assert self.ref is not None
        self.app.bridge.call(self.app.engine.request_callback, self.ref, self.ids.phone_keypad.value, True,
                             on_done=lambda _r: self._callback_done(self.t("callback_sent")),
                             on_error=self._failed)

    def no_callback(self) -> None:
        self._callback_done(self.t("rate_thanks"))

    def _callback_done(self, text: str) -> None:
        self.asking_callback = False
        self.ids.phone_keypad.value = ""
        self._thank(text)

    def _thank(self, text: str | None = None) -> None:
        self.ids.thanks.text = text or self.t("rate_thanks")
        self.fill(self.ids.reasons, [])
        self.ids.submit_button.disabled = True
        Clock.schedule_once(self._after_thanks, 3.0)

    def _failed(self, error: Exception) -> None:
        zh, en = getattr(error, "zh", str(error)), getattr(error, "en", str(error))
        self.ids.thanks.text = en if self.app.lang == "en" else zh
        if getattr(error, "code", "") in ("unknown_ticket", "not_served"):
            self.ref = None
            self.refresh()

    def _after_thanks(self, _dt: float) -> None:
        target, self.return_to, self.ref = self.return_to, None, None
        if target:
            self.app.go(target)
        else:
            self.app.go_home()

    def skip(self) -> None:
        self._after_thanks(0)
