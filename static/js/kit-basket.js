// Employer kit: the basket. Each asset card has a checkbox (name="ressource", form="kit-basket-form");
// without JavaScript the form sends the boxes ticked on this page. With it, the picks are kept in
// this browser (localStorage, no cookie) across filters and pages, listed in the basket, and sent
// as hidden fields for assets the current filter does not show.
(() => {
  "use strict";
  const form = document.getElementById("kit-basket-form");
  if (!form) return;
  const KEY = "onprovence.kit.basket";
  const lang = document.documentElement.lang || "fr";
  const en = lang.startsWith("en");
  const list = form.querySelector("[data-basket-list]");
  const hidden = form.querySelector("[data-basket-hidden]");
  const counts = document.querySelectorAll("[data-basket-count]");
  const clear = form.querySelector("[data-basket-clear]");
  const status = document.getElementById("kit-copy-status");
  const boxes = () => Array.from(document.querySelectorAll('input[name="ressource"][form="kit-basket-form"]'));

  const load = () => {
    try {
      const value = JSON.parse(window.localStorage.getItem(KEY) || "{}");
      return value && typeof value === "object" ? value : {};
    } catch {
      return {};
    }
  };
  const save = (basket) => {
    try {
      window.localStorage.setItem(KEY, JSON.stringify(basket));
    } catch {
      /* private mode: the ticked boxes of this page still work */
    }
  };

  const render = () => {
    const basket = load();
    const ids = Object.keys(basket);
    const onPage = new Set(boxes().map((box) => box.value));
    boxes().forEach((box) => { box.checked = box.value in basket; });
    list.replaceChildren(...ids.map((id) => {
      const item = document.createElement("li");
      item.textContent = basket[id];
      return item;
    }));
    hidden.replaceChildren(...ids.filter((id) => !onPage.has(id)).map((id) => {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = "ressource";
      input.value = id;
      return input;
    }));
    const n = ids.length;
    const label = en
      ? `(${n} ${n === 1 ? "file" : "files"})`
      : `(${n} ${n > 1 ? "fichiers" : "fichier"})`;
    counts.forEach((count) => { count.textContent = label; });
    clear.hidden = n === 0;
  };

  document.addEventListener("change", (event) => {
    const box = event.target;
    if (!(box instanceof HTMLInputElement) || box.name !== "ressource" || box.form !== form) return;
    const basket = load();
    if (box.checked) basket[box.value] = box.dataset.basketTitle || box.value;
    else delete basket[box.value];
    save(basket);
    render();
    if (status) {
      const title = box.dataset.basketTitle || "";
      status.textContent = box.checked
        ? (en ? `Added to the basket: ${title}` : `Ajouté au panier : ${title}`)
        : (en ? `Removed from the basket: ${title}` : `Retiré du panier : ${title}`);
    }
  });

  clear.addEventListener("click", () => {
    save({});
    render();
    if (status) status.textContent = en ? "Basket emptied" : "Panier vidé";
  });

  render();
})();
