"""Order confirmations by e-mail."""

import email.message
import email.utils


def confirmation(to: str, title: str) -> email.message.EmailMessage:
    message = email.message.EmailMessage()
    message['To'] = to
    message['Date'] = email.utils.formatdate()
    message['Subject'] = f'Your order: {title}'
    message.set_content(f'Thank you for ordering {title}.')
    return message
