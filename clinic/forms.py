"""The HTML forms, with Flask-WTF's CSRF token in each."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from .accounts import password_problem, username_problem


def _check(problem_of):
    """Turn one of the accounts module's problem functions into a WTForms validator."""

    def validator(form, field):
        problem = problem_of(field.data)
        if problem:
            raise ValidationError(problem)

    return validator


class LoginForm(FlaskForm):
    """Username and password; the limits stop absurd input before bcrypt sees it."""

    username = StringField("Username", validators=[DataRequired(), Length(max=40)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class RegisterForm(FlaskForm):
    """A new account, with the same rules as POST /api/auth/register."""

    username = StringField("Username", validators=[DataRequired(), _check(username_problem)])
    password = PasswordField("Password", validators=[DataRequired(), _check(password_problem)])
    confirm = PasswordField("Repeat the password",
                            validators=[DataRequired(), EqualTo("password", "The passwords differ.")])


class ButtonForm(FlaskForm):
    """No fields: a form for one button (log out, reset a lab) that carries the CSRF token."""
