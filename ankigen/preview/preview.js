// The preview page's controls: the filter box, day/night, quiz mode, and, when the page is
// served by `ankigen preview --serve`, a reload after every rebuild. Nothing is fetched from
// the network; opened from disk the page makes no request at all.
(function () {
  "use strict";

  const root = document.documentElement;
  const tiles = Array.from(document.querySelectorAll(".pv-tile"));
  const sections = Array.from(document.querySelectorAll(".pv-deck"));
  const navItems = Array.from(document.querySelectorAll(".pv-nav li"));
  const faces = Array.from(document.querySelectorAll(".pv-face > .card"));
  const filter = document.getElementById("pv-filter");
  const night = document.getElementById("pv-night");
  const quiz = document.getElementById("pv-hide-answers");
  const count = document.getElementById("pv-count");
  const none = document.getElementById("pv-none");
  const total = Number(count.dataset.total);
  const served = location.protocol === "http:" || location.protocol === "https:";

  function stored(storage, key) {
    try {
      return storage.getItem(key);
    } catch (error) {
      return null;
    }
  }

  function store(storage, key, value) {
    try {
      storage.setItem(key, value);
    } catch (error) {
      // storage can be off (private windows); the page works without it
    }
  }

  // Anki desktop puts `nightMode night_mode` on the card's body; each card here is its own body.
  function setNight(on) {
    root.classList.toggle("pv-night", on);
    for (const card of faces) {
      card.classList.toggle("nightMode", on);
      card.classList.toggle("night_mode", on);
    }
    night.checked = on;
    store(localStorage, "ankigen-preview-night", on ? "1" : "0");
  }

  function setQuiz(on) {
    document.body.classList.toggle("pv-quiz", on);
    quiz.checked = on;
    if (!on) {
      for (const tile of tiles) tile.classList.remove("pv-turned");
    }
  }

  function plural(n) {
    return n === 1 ? "card" : "cards";
  }

  function applyFilter() {
    const terms = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const tile of tiles) {
      const search = tile.dataset.search;
      const match = terms.every((term) => search.includes(term));
      tile.hidden = !match;
      if (match) shown += 1;
    }
    const visible = {};
    for (const section of sections) {
      const n = section.querySelectorAll(".pv-tile:not([hidden])").length;
      visible[section.dataset.deck] = n;
      section.hidden = n === 0;
    }
    for (const item of navItems) {
      const decks = [item, ...item.querySelectorAll("li")].map((li) => li.dataset.deck);
      const n = decks.reduce((sum, deck) => sum + (visible[deck] || 0), 0);
      const badge = item.querySelector(".pv-n");
      badge.textContent = terms.length ? `${n}/${badge.dataset.total}` : badge.dataset.total;
      item.classList.toggle("pv-nav-empty", n === 0);
    }
    count.textContent = terms.length
      ? `${shown} of ${total} ${plural(total)}`
      : `${total} ${plural(total)}`;
    none.hidden = shown > 0 || total === 0;
    store(sessionStorage, "ankigen-preview-filter", filter.value);
  }

  night.addEventListener("change", () => setNight(night.checked));
  quiz.addEventListener("change", () => setQuiz(quiz.checked));
  filter.addEventListener("input", applyFilter);
  filter.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      filter.value = "";
      applyFilter();
    }
  });
  document.addEventListener("keydown", (event) => {
    const typing = event.target instanceof HTMLInputElement;
    if (event.key === "/" && !typing) {
      event.preventDefault();
      filter.focus();
    }
  });
  for (const tile of tiles) {
    tile.addEventListener("click", (event) => {
      if (document.body.classList.contains("pv-quiz") && !event.target.closest("a")) {
        tile.classList.toggle("pv-turned");
      }
    });
  }

  const savedNight = stored(localStorage, "ankigen-preview-night");
  const prefersDark = window.matchMedia && matchMedia("(prefers-color-scheme: dark)").matches;
  setNight(savedNight === null ? prefersDark : savedNight === "1");
  const savedFilter = stored(sessionStorage, "ankigen-preview-filter");
  if (savedFilter) filter.value = savedFilter;
  applyFilter();

  if (served) {
    // `ankigen preview --serve` rewrites build.txt after each rebuild
    const scrolled = stored(sessionStorage, "ankigen-preview-scroll");
    if (scrolled !== null) {
      sessionStorage.removeItem("ankigen-preview-scroll");
      window.scrollTo(0, Number(scrolled));
    }
    setInterval(async () => {
      try {
        const response = await fetch("build.txt", { cache: "no-store" });
        const build = (await response.text()).trim();
        if (response.ok && build && build !== root.dataset.build) {
          store(sessionStorage, "ankigen-preview-scroll", String(window.scrollY));
          location.reload();
        }
      } catch (error) {
        // the server has stopped; keep the page as it is
      }
    }, 1000);
  }
})();
