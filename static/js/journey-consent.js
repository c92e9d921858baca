// Show the parental-consent questions only to 15–17 year olds (all shown without JavaScript).

const minor = document.getElementById("minor-fields");
const radios = document.querySelectorAll("input[name=age_group]");

function update() {
  const checked = document.querySelector("input[name=age_group]:checked");
  minor.hidden = !checked || checked.value !== "15-17";
}

if (minor && radios.length) {
  radios.forEach((radio) => radio.addEventListener("change", update));
  update();
}
const errors = document.getElementById("form-errors");
if (errors) errors.focus();
