// The preview page's script. The page holds a placeholder per chunk of cards; the cards are in
// data files (cards/<digest>.js) loaded with <script> elements, since a page opened from disk
// may not fetch. A chunk is loaded and shown as its placeholder nears the screen, and MathJax
// typesets a card only as it nears the screen, so a deck of any size opens at once. The filter
// searches the index (cards/<digest>.js too) of every card's text and tags; the Night and Quiz
// switches, links to a card (#card-N) or a deck, and, when the page is served by
// `ankigen preview --serve`, each rebuild brought in without reloading the page.
// Nothing is fetched from the network.
(function () {
  "use strict";

  const root = document.documentElement;
  const filter = document.getElementById("pv-filter");
  const night = document.getElementById("pv-night");
  const quiz = document.getElementById("pv-hide-answers");
  const served = location.protocol === "http:" || location.protocol === "https:";
  const NEAR = "150% 0px"; // how close to the screen a chunk is loaded, a card typeset
  const BATCH = 1; // cards typeset in one go: a task of its own each

  let placeholders = [];
  let index = null; // {decks: [anchor], deck: [deck number per card], text: [search text]}
  let matches = null; // per card, 1 when it matches the filter; null: no filter
  let wanted = null; // [placeholder, what to do once it is shown] for a link being followed
  let failed = false;
  const pending = new Set(); // cards to typeset
  const unseen = new Set(); // chunks and cards watched, of which the watch has not said yet
  let typesetting = null; // the batch MathJax is typesetting
  const mathjax =
    window.MathJax && MathJax.startup && MathJax.startup.promise
      ? MathJax.startup.promise
      : Promise.reject(new Error("MathJax did not load"));

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

  function loadScript(src) {
    const script = document.createElement("script");
    script.src = src;
    script.onerror = () => console.error(`cannot load ${src}`);
    document.head.appendChild(script);
  }

  // --- chunks ---

  const chunkWatch = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        unseen.delete(entry.target);
        if (entry.isIntersecting) load(entry.target);
      }
      settle();
    },
    { rootMargin: NEAR }
  );

  function load(placeholder) {
    if (placeholder.dataset.state) return;
    placeholder.dataset.state = "loading";
    settle();
    loadScript(placeholder.dataset.src);
  }

  function shown(placeholder) {
    return placeholder.dataset.state === "shown";
  }

  function range(placeholder) {
    const first = Number(placeholder.dataset.first) - 1;
    return [first, first + Number(placeholder.dataset.count)];
  }

  function show(placeholder, html) {
    placeholder.innerHTML = html;
    placeholder.dataset.state = "shown";
    placeholder.style.height = "";
    number(placeholder);
    const on = night.checked;
    for (const card of placeholder.querySelectorAll(".pv-face > .card")) {
      card.classList.toggle("nightMode", on);
      card.classList.toggle("night_mode", on);
    }
    filterChunk(placeholder);
    for (const tile of placeholder.querySelectorAll(".pv-tile")) watch(typesetWatch, tile);
    if (wanted && wanted[0] === placeholder) {
      const then = wanted[1];
      wanted = null;
      then();
    }
    settle();
  }

  // a card's anchor is its number on the page, and its source's line is the page's too, set
  // here so that a chunk's file does not change when a card or a line is added above it
  function number(placeholder) {
    const [first] = range(placeholder);
    const lines = (placeholder.dataset.lines || "").split(" ");
    placeholder.querySelectorAll(".pv-tile").forEach((tile, i) => {
      tile.id = `card-${first + i + 1}`;
      const where = tile.querySelector(".pv-loc");
      if (where && lines[i]) where.textContent = `${where.dataset.path}:${lines[i]}`;
    });
  }

  function watch(observer, element) {
    unseen.add(element);
    observer.observe(element);
  }

  // --- typesetting: only the cards near the screen ---

  const typesetWatch = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        unseen.delete(entry.target);
        if (entry.isIntersecting) {
          typesetWatch.unobserve(entry.target);
          pending.add(entry.target);
        }
      }
      typesetNext();
    },
    { rootMargin: NEAR }
  );

  function typesetNext() {
    if (typesetting || failed) return settle();
    // a few cards at a time, those on the screen first: a page that scrolls never waits for
    // MathJax long
    const near = [...pending].filter((tile) => tile.isConnected);
    pending.clear();
    for (const tile of near.filter((tile) => tile.offsetParent === null)) {
      watch(typesetWatch, tile); // filtered out since: typeset when it shows again
    }
    const shownNear = near.filter((tile) => tile.offsetParent !== null);
    shownNear.sort((a, b) => distance(a) - distance(b));
    const batch = shownNear.slice(0, BATCH);
    for (const tile of shownNear.slice(BATCH)) pending.add(tile);
    if (!batch.length) return settle();
    delete root.dataset.mathjax;
    typesetting = mathjax
      .then(() => MathJax.typesetPromise(batch))
      .then(
        () => {
          for (const tile of batch) tile.dataset.typeset = "";
        },
        (error) => {
          failed = true;
          root.dataset.mathjax = "failed";
          console.error(error);
        }
      )
      .then(() => {
        typesetting = null;
        setTimeout(typesetNext); // the next batch in a task of its own: the page stays live
      });
  }

  function distance(tile) {
    const box = tile.getBoundingClientRect();
    return box.bottom < 0 ? -box.bottom : Math.max(0, box.top - innerHeight);
  }

  // <html data-mathjax> is "done" when every card near the screen is shown and typeset (and the
  // filter's index loaded), absent while the page is at work
  function settle() {
    if (failed) return;
    const busy =
      typesetting ||
      pending.size ||
      !index ||
      [...unseen].some((element) => element.isConnected) ||
      placeholders.some((p) => p.dataset.state === "loading");
    if (busy) delete root.dataset.mathjax;
    else root.dataset.mathjax = "done";
  }

  // --- the filter ---

  function applyFilter() {
    const terms = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    const total = index ? index.text.length : 0;
    matches = null;
    if (terms.length && index) {
      matches = new Uint8Array(total);
      index.text.forEach((text, i) => {
        matches[i] = terms.every((term) => text.includes(term)) ? 1 : 0;
      });
    }
    let shownCards = 0;
    for (const placeholder of placeholders) shownCards += filterChunk(placeholder);
    const perDeck = new Map();
    if (index) {
      index.deck.forEach((deck, i) => {
        if (!matches || matches[i]) {
          const anchor = index.decks[deck];
          perDeck.set(anchor, (perDeck.get(anchor) || 0) + 1);
        }
      });
    }
    for (const item of document.querySelectorAll(".pv-nav li")) {
      const decks = [item, ...item.querySelectorAll("li")].map((li) => li.dataset.deck);
      const n = decks.reduce((sum, deck) => sum + (perDeck.get(deck) || 0), 0);
      const badge = item.querySelector(".pv-n");
      badge.textContent = matches ? `${n}/${badge.dataset.total}` : badge.dataset.total;
      item.classList.toggle("pv-nav-empty", n === 0);
    }
    const count = document.getElementById("pv-count");
    const all = Number(count.dataset.total);
    const cards = all === 1 ? "card" : "cards";
    count.textContent = matches ? `${shownCards} of ${all} ${cards}` : `${all} ${cards}`;
    document.getElementById("pv-none").hidden = shownCards > 0 || all === 0;
    store(sessionStorage, "ankigen-preview-filter", filter.value);
  }

  // Hide what does not match in one chunk; a chunk not shown yet keeps the height of its
  // matching cards. The number of matching cards.
  function filterChunk(placeholder) {
    const [first, end] = range(placeholder);
    let n = end - first;
    if (matches) {
      n = 0;
      for (let i = first; i < end; i += 1) n += matches[i];
    }
    placeholder.hidden = n === 0;
    if (!shown(placeholder)) {
      placeholder.style.height = `${n * Number(placeholder.dataset.estimate)}px`;
      return n;
    }
    placeholder.querySelectorAll(".pv-tile").forEach((tile, i) => {
      tile.hidden = matches !== null && !matches[first + i];
    });
    for (const section of placeholder.querySelectorAll(".pv-deck")) {
      section.hidden = !section.querySelector(".pv-tile:not([hidden])");
    }
    return n;
  }

  // --- links to a card or a deck ---

  function follow() {
    const hash = decodeURIComponent(location.hash.slice(1));
    let placeholder = null;
    const card = /^card-(\d+)$/.exec(hash);
    if (card) {
      const i = Number(card[1]) - 1;
      placeholder = placeholders.find((p) => range(p)[0] <= i && i < range(p)[1]);
    } else if (hash) {
      placeholder = placeholders.find((p) => p.dataset.decks.split(" ").includes(hash));
    }
    if (!placeholder) return;
    const go = () => keepInView(document.getElementById(hash));
    if (shown(placeholder)) go();
    else {
      wanted = [placeholder, go];
      load(placeholder);
    }
  }

  // Tiles off the screen take an estimated height (content-visibility: auto) until they near
  // it; those around a card just jumped to take their own then, which moves it: put it back,
  // a frame at a time, until it stays put.
  function keepInView(target) {
    target.scrollIntoView();
    let top = target.getBoundingClientRect().top;
    let still = 0;
    let frames = 0;
    const reader = ["wheel", "touchstart", "keydown", "mousedown"];
    const stop = () => {
      frames = Infinity;
      for (const type of reader) removeEventListener(type, stop, true);
    };
    for (const type of reader) addEventListener(type, stop, true);
    const check = () => {
      if (frames === Infinity) return;
      const now = target.getBoundingClientRect().top;
      still = Math.abs(now - top) < 1 ? still + 1 : 0;
      if (!still) {
        target.scrollIntoView();
        top = target.getBoundingClientRect().top;
      }
      if (still < 3 && (frames += 1) < 60) requestAnimationFrame(check);
      else stop();
    };
    requestAnimationFrame(check);
  }

  // --- switches ---

  // Anki desktop puts `nightMode night_mode` on the card's body; each card here is its own body.
  function setNight(on) {
    root.classList.toggle("pv-night", on);
    for (const card of document.querySelectorAll(".pv-face > .card")) {
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
      for (const tile of document.querySelectorAll(".pv-turned")) {
        tile.classList.remove("pv-turned");
      }
    }
  }

  // --- the page's parts, read again after a rebuild when served ---

  function attach() {
    placeholders = Array.from(document.querySelectorAll(".pv-chunk"));
    for (const placeholder of placeholders) {
      if (!placeholder.dataset.state) watch(chunkWatch, placeholder);
    }
  }

  window.ankigenPreview = {
    index(digest, data) {
      index = data;
      applyFilter();
      follow();
      settle();
    },
    chunk(digest, html) {
      const src = `cards/${digest}.js`;
      for (const placeholder of placeholders) {
        if (placeholder.dataset.src === src && placeholder.dataset.state === "loading") {
          show(placeholder, html);
        }
      }
    },
  };

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
  document.addEventListener("click", (event) => {
    const tile = event.target.closest(".pv-tile");
    if (tile && document.body.classList.contains("pv-quiz") && !event.target.closest("a")) {
      tile.classList.toggle("pv-turned");
    }
  });
  window.addEventListener("hashchange", follow);
  mathjax.catch((error) => {
    failed = true;
    root.dataset.mathjax = "failed";
    console.error(error);
  });

  const savedNight = stored(localStorage, "ankigen-preview-night");
  const prefersDark = window.matchMedia && matchMedia("(prefers-color-scheme: dark)").matches;
  setNight(savedNight === null ? prefersDark : savedNight === "1");
  const savedFilter = stored(sessionStorage, "ankigen-preview-filter");
  if (savedFilter) filter.value = savedFilter;
  attach();
  if (!document.querySelector('script[src^="cards/"]')) {
    index = { decks: [], deck: [], text: [] }; // no cards: nothing to wait for
    applyFilter();
  }
  settle();

  if (served) {
    // `ankigen preview --serve` answers build.txt?after=ID as soon as a rebuild has made
    // another build (or after a while, with the same one): the new page's chunks replace the
    // old, but those whose file is the same stay as they are on screen. Another server answers
    // at once, and is asked again after a pause.
    const ask = async () => {
      let pause = 200;
      try {
        const after = encodeURIComponent(root.dataset.build || "");
        const response = await fetch(`build.txt?after=${after}`, { cache: "no-store" });
        const build = (await response.text()).trim();
        if (response.ok && build && build !== root.dataset.build) {
          await update(build);
          pause = root.dataset.build === build ? 0 : 50; // not yet: its page is being written
        }
      } catch (error) {
        pause = 1000; // the server has stopped, or is busy: keep the page as it is, ask later
      }
      setTimeout(ask, pause);
    };
    ask();
  }

  async function update(build) {
    const response = await fetch("index.html", { cache: "no-store" });
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    if (fresh.documentElement.dataset.build !== build) return; // mid-write: next time
    const kept = new Map();
    for (const placeholder of placeholders) {
      if (shown(placeholder)) kept.set(placeholder.dataset.src, placeholder);
    }
    const main = fresh.querySelector(".pv-main");
    for (const placeholder of main.querySelectorAll(".pv-chunk")) {
      const old = kept.get(placeholder.dataset.src);
      if (old) {
        kept.delete(placeholder.dataset.src);
        old.dataset.first = placeholder.dataset.first;
        old.dataset.lines = placeholder.dataset.lines;
        number(old);
        placeholder.replaceWith(old);
      }
    }
    const gone = [...kept.values()];
    if (gone.length && window.MathJax && MathJax.typesetClear) MathJax.typesetClear(gone);
    for (const selector of ["#note-type-css", ".pv-brand", ".pv-nav", ".pv-main"]) {
      document.querySelector(selector).replaceWith(document.adoptNode(fresh.querySelector(selector)));
    }
    document.title = fresh.title;
    root.dataset.build = build;
    index = null;
    attach();
    const data = fresh.querySelector('script[src^="cards/"]');
    // the chunks near the screen first, the index (the largest file) once they are shown
    afterChunksNear(() => {
      if (data) loadScript(data.getAttribute("src"));
      else window.ankigenPreview.index("", { decks: [], deck: [], text: [] });
    });
  }

  // `then` once the chunks near the screen are shown: the watch tells which they are at the
  // next frame at the latest, and they load from then on
  function afterChunksNear(then) {
    let frames = 0;
    const check = () => {
      const chunk = (element) => element.isConnected && element.classList.contains("pv-chunk");
      const waiting = [...unseen].some(chunk);
      const loading = placeholders.some((p) => p.dataset.state === "loading");
      if ((waiting || loading) && (frames += 1) < 300) requestAnimationFrame(check);
      else then();
    };
    requestAnimationFrame(check);
  }
})();
