"""The Kivy kiosk (resident, crew and display roles). The domain core never imports this."""
