// Show the parental-consent questions only to 15–17 year olds (all shown without JavaScript).
// Under 15: the form is not sent; what was typed is cleared and the kind refusal is said here
// (the server does the same without JavaScript: nothing a child typed is kept or sent again).

const form = document.querySelector("form.journey-form");
const minor = document.getElementById("minor-fields");
const radios = document.querySelectorAll("input[name=age_group]");
const refusal = document.getElementById("child-refusal");
// Everything the resident types or chooses about themselves (not the journey or the version).
const PERSONAL = [
  "first_name", "last_name", "email", "commune", "sector", "job_title", "parental_consent",
  "parent_email", "release",
];

function update() {
  const checked = document.querySelector("input[name=age_group]:checked");
  minor.hidden = !checked || checked.value !== "15-17";
}

function clearPersonal() {
  PERSONAL.forEach((name) => {
    form.querySelectorAll(`[name="${name}"]`).forEach((field) => {
      if (field.type === "checkbox" || field.type === "radio") field.checked = false;
      else if (field.tagName === "SELECT") field.selectedIndex = 0;
      else field.value = "";
    });
  });
  radios.forEach((radio) => {
    radio.checked = false;
  });
  update();
}

if (minor && radios.length) {
  radios.forEach((radio) => radio.addEventListener("change", update));
  update();
}
if (form && refusal) {
  form.addEventListener("submit", (event) => {
    const checked = form.querySelector("input[name=age_group]:checked");
    if (!checked || checked.value !== "under-15") return;
    event.preventDefault();
    clearPersonal();
    const earlier = document.getElementById("form-errors");
    if (earlier) earlier.hidden = true;
    refusal.hidden = false;
    refusal.focus();
  });
}
const errors = document.getElementById("form-errors");
if (errors) errors.focus();
