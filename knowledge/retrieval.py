"""Free-text guideline Q&A: jieba + BM25 (bm25s) over FAQ questions, paraphrases and item names, with refusal.

A text becomes concepts (``word_groups``): jieba precise mode with the domain dictionary (HMM off) on the
normalised text, stop words and colloquial fillers dropped; each word together with the dictionary words
inside it (网上预审 → 网上, 预审, 网上预审) is one concept, every word mapped to a canonical synonym (执照 →
营业执照; 可以不 / 一定要 / 强制 → 必须). Before that, a query's runs of characters jieba could not join to
words are respelt as the indexed word with the same pinyin (voice-to-text and 同音字 typos: 预申 → 预审).
A query word weighs its IDF over entries, times ``DOMAIN_BOOST`` for domain-dictionary terms (the words
that decide what a question is about); a word the index does not know weighs like the rarest known word (a
question about 离婚 or 房贷 leaves its key word uncovered), unless jieba tags it as a function word (then
``FILLER`` times that). A concept weighs its heaviest word and is credited once.

Each FAQ entry is scored by five signals:
- ``bm25``: best BM25 score of any of its wordings (question + paraphrases), relative to the best entry;
- ``coverage``: the weighted share of the query's concepts found in its wordings;
- ``bigram``: the same share for pinyin syllable bigrams inside the content words (survives typos, odd splits);
- ``answer``: ``coverage`` against its wordings plus its answer text and the names of its related items;
- ``precision``: the other direction — the best share of one wording's words found in the query (a wording
  that says more than the query asked, e.g. 预审通过后 for 预审是什么, ranks below one that says just that).
The score is a weighted sum. ``ask`` answers with the best entry when its score reaches ``CONFIDENT``, or
reaches ``THRESHOLD`` and leads the runner-up by at least ``MARGIN`` (a flat ranking means the query matched
only generic words); otherwise it returns None so the bot can offer a human.
Weights, threshold and margin are calibrated by ``python -m knowledge.eval --calibrate`` on the development set
(knowledge/eval/dev.yaml) plus knowledge/eval/train_out_of_scope.yaml, never on the held-out set.

The index is built once per process and rebuilt when a FAQ file changes (mtimes checked at most once
per ``CHECK_INTERVAL_SECONDS``; ``invalidate()`` forces the next query to check).
"""
from __future__ import annotations

import copy
import logging
import math
import re
import threading
import time
import unicodedata
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import bm25s
import jieba
import jieba.posseg
import numpy as np
from pypinyin import lazy_pinyin

from knowledge.faq import PACKAGE_DATA_DIR, FaqEntry, faq_dir, files_signature, load_faq

DOMAIN_DICT = PACKAGE_DATA_DIR / "jieba" / "domain_dict.txt"
CHECK_INTERVAL_SECONDS = 1.0

# Calibrated on the development set (see module docstring); re-run the calibration after large FAQ edits.
WEIGHTS = {"bm25": 0.1, "coverage": 0.0, "bigram": 0.7, "answer": 0.2, "precision": 0.0}
THRESHOLD = 0.5501
CONFIDENT = 0.5501
MARGIN = 0.0
DOMAIN_BOOST = 3.0     # weight multiplier of domain-dictionary terms
FILLER = 0.0     # weight of an unknown function word, as a share of the rarest known word's weight

STOPWORDS = frozenset("""
的 地 得 了 着 过 吗 呢 吧 啊 呀 嗯 哦 噢 喔 么 嘛 呗 哈 喂 哎 诶 额 呃 唉 啦 咯 哇 嗨 哟 呐 哒 滴
我 我们 俺 咱 咱们 你 你们 您 他 她 它 他们 自己 人家 大家 本人
是 在 有 和 与 及 或 或者 跟 同 还是 以及 并 而且 但是 可是 不过 然后 那么 所以 因为 如果 的话 要是 假如
要 想 想要 能 能够 可以 可不可以 可否 会 应该 需 需要 需不需要 用 用不用 要不要 得要 还要 还得 还用 还会
怎么 怎么样 怎样 如何 咋 咋样 咋整 咋弄 咋办 啥 什么 哪 哪些 哪个 哪里 哪儿 哪边 多少 几 几个 没 是不是 有没有 能不能
为啥 为什么 干啥 干嘛 怎么弄 怎么搞 怎么整 怎么回事 怎么办 啥时候 什么时候 何时 什么样 啥样 到底 究竟
一下 一个 一些 这个 那个 这 那 这些 那些 这样 那样 这种 那种 就是 就 都 也 还 又 再 才 很 挺 太 最 更 真的 其实
请问 请 问 问问 问一下 问下 咨询 麻烦 谢谢 谢了 多谢 你好 您好 好 好的 嗯嗯 知道 告诉 了解 说 说说 讲讲 介绍 打扰
一般 通常 大概 大约 具体 现在 目前 这边 那边 这里 那里 里 里面 上 下 中 个 些 把 被 给 让 对 对于 关于 从 向 到 去 来
请教 求 帮 帮忙 帮我 看看 看 一 下子 了解一下 我想 我要 想问 想问一下 急 在线等 玩意 玩意儿
能否 是否 有个 之后 以后 然后 时候 东西 事 事情 弄 搞 整 办法 行 行不行 成 可不 好不好 对不对 算不算
哪几 几种 哪几种 哪种 几类 哪几类 哪一类 一类 接下来 接着 第一次 那天 那时 上面 下面 后面 前面 有些 有人 别的 就算 已经 刚刚 马上 比较 一点 有点 老是 总是
hi hello ok okay please the a an is to of and or
""".split())

# Words that mean the same thing to an applicant are indexed and queried as one canonical word.
SYNONYMS = {
    "时限": "多久 多长 多长时间 长时间 几天 多少天 天数 几个工作日 多少个工作日 时间 期限 时限 办结时限 承诺时限 法定时限 "
            "多少日 几日 最晚 最长",
    "费用": "收费 费用 钱 多少钱 收钱 要钱 交钱 花钱 免费 零费用 收费吗 付费 fee cost",
    "营业执照": "执照 营业执照 照 license licence",
    "许可证": "许可证 permit",
    "签名": "签字 签名 签 签署 签个 sign",
    "领取": "拿 领 领取 拿到 领到 领走",
    "办结": "批下来 办下来 下来 办好 下证 办完 批 搞定",
    "材料": "材料 资料 文件 手续 documents",
    "个体户": "个体户 个体工商户 个体",
    "有限公司": "有限公司 有限责任公司",
    "公司": "公司 company 企业",
    "店": "店 门店 店铺 小店 店面",
    "卖": "卖 销售 售 出售",
    "烟草": "烟 香烟 卷烟 烟草",
    "饭店": "饭店 餐厅 餐馆 饭馆 酒楼",
    "药店": "药店 药房",
    "旅馆": "旅馆 宾馆 酒店 旅店",
    "审核": "审核 审 审查",
    "线下": "线下 现场 offline",
    "网上": "网上 线上 在线 网上办 online",
    "申请": "申请 申领 apply 申办",
    "注册": "注册 register",
    # Obligation and its absence: “可以不联办吗” asks whether joint processing is voluntary.
    "必须": "必须 必需 一定 定要 一定要 一定得 非得 非要 强制 强制性 自愿 可以不 能不能不 可不可以不 能不 不一定",
    # Declining: “不想联办”.
    "不想": "不想 不要 不愿意 不愿 不打算",
    "快递": "快递 邮寄 寄 寄到 寄给 邮 包邮",
    "周末": "周末 双休 双休日 周六 周日 星期六 星期天 星期日",
    "生意": "生意 买卖 小生意 小买卖 营生",
    "单独": "单独 另外 另行 分开 单独办",
    "整合": "整合 合并 合到 合进",
    "凭证": "凭证 证书 回执",
    "用途": "用途 用处 作用 干嘛用 干啥用 有啥用 有什么用 什么用 啥用 能干嘛 能干啥",
    # A question asking what something is (“什么是网上预审”) rather than how long, how much or where.
    "含义": "含义 意思 定义 是指 指的是 什么是 是什么 是啥 啥是 什么叫 啥叫 叫做 什么意思 啥意思 怎么理解 咋理解",
}
_CANONICAL = {word: canonical for canonical, words in SYNONYMS.items() for word in words.split()}
# Retrieval-only jieba words (kept out of domain_dict.txt, which the Rasa model trains with).
EXTRA_WORDS = ("可以不", "能不能不", "可不可以不", "能不", "一定要", "一定得", "不一定", "非得", "不想", "不愿意",
               "干嘛用", "干啥用", "有啥用", "有什么用", "什么用", "啥用", "能干嘛", "能干啥", "什么是", "是什么", "是啥",
               "啥是", "什么叫", "啥叫", "什么意思", "怎么理解", "咋理解", "单独办", "合到", "合进")
# jieba tags of function words: an unknown word with one of these tags is filler, not a sign of another topic.
SIGNALS = ("bm25", "coverage", "bigram", "answer", "precision")
FILLER_TAGS = frozenset({"r", "d", "c", "u", "p", "f", "m", "q", "t", "y", "e", "o", "l", "z", "ad", "ul", "uj"})

_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
_ONE_N_X = re.compile(r"[1一]加?n加?x")        # 1+N+X, 一加N加X, 1加n加x (after punctuation is removed)
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    answer: str
    source: str
    score: float
    faq_id: str
    question: str
    confidence: str = "S"
    topic: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Candidate:
    entry: FaqEntry
    score: float
    bm25: float
    coverage: float
    bigram: float
    answer: float
    precision: float


def normalise(text: str) -> str:
    """Full-width → half-width, lower case, punctuation and spaces removed, 一加N加X spelt 1nx."""
    return _ONE_N_X.sub("1nx", _PUNCT.sub("", unicodedata.normalize("NFKC", text).lower()))


@lru_cache(maxsize=1)
def _tokenizer() -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    if DOMAIN_DICT.exists():
        tokenizer.load_userdict(str(DOMAIN_DICT))
    for word in EXTRA_WORDS:
        tokenizer.add_word(word, 20000)
    return tokenizer


@lru_cache(maxsize=1)
def domain_terms() -> frozenset[str]:
    """Canonical forms of the words in the domain dictionary (the words a question is about)."""
    if not DOMAIN_DICT.exists():
        return frozenset()
    words = (line.split()[0] for line in DOMAIN_DICT.read_text(encoding="utf-8").splitlines() if line.strip())
    return frozenset(_CANONICAL.get(normalise(w), normalise(w)) for w in words)


def is_filler(word: str) -> bool:
    """A function word by jieba's dictionary tag (pronoun, adverb, particle, numeral, locality, idiom ...)."""
    return jieba.posseg.dt.word_tag_tab.get(word, "n") in FILLER_TAGS


@lru_cache(maxsize=8192)
def pinyin(word: str) -> str:
    """Toneless pinyin, syllables separated by spaces."""
    return " ".join(lazy_pinyin(word))


_CHINESE = re.compile(r"^[\u4e00-\u9fff]+$")


def _is_chinese(text: str) -> bool:
    return bool(_CHINESE.match(text))


def _is_misheard(piece: str) -> bool:
    """A lone Chinese character jieba could not join to a word and that is no function word (是, 里, 先 ...)."""
    return len(piece) == 1 and _is_chinese(piece) and piece not in STOPWORDS


def word_groups(text: str) -> list[list[str]]:
    """One group per content word of ``text`` (jieba precise mode, HMM off, stop words dropped): the word and
    the dictionary words inside it, as jieba's search mode yields them (网上预审 → 网上, 预审, 网上预审), each
    mapped to its canonical synonym. A group is one concept: a query is credited once for it.

    HMM new-word discovery is off: on short colloquial questions it glues function and content characters
    into non-words (想卖, 章要, 去核) that match nothing; dictionary words and single characters do.
    """
    tokenizer = _tokenizer()
    groups = []
    for word in tokenizer.lcut(normalise(text), HMM=False):
        if not word or word in STOPWORDS:
            continue
        parts = []
        for size in (2, 3):
            if len(word) > size:
                parts += [word[i:i + size] for i in range(len(word) - size + 1) if tokenizer.FREQ.get(word[i:i + size])]
        group = []
        for part in [*parts, word]:
            token = _CANONICAL.get(part, part)
            if part not in STOPWORDS and token not in group:
                group.append(token)
        if group:
            groups.append(group)
    return groups


def _content_words(text: str) -> list[str]:
    """The words of every group in ``word_groups`` (original spelling is not kept: canonical forms)."""
    return [token for group in word_groups(text) for token in group]


def tokenize(text: str) -> list[str]:
    """Content words of ``text``, synonyms mapped to one canonical word, each once."""
    return list(dict.fromkeys(_content_words(text)))


def bigrams(text: str) -> set[str]:
    """Pinyin syllable bigrams inside the content words (single-syllable words count whole): robust to
    同音字 typos and odd word splits, blind to filler such as 什么/怎么/需要."""
    grams: set[str] = set()
    for word in _content_words(text):
        syllables = pinyin(word).split()
        if len(syllables) == 1:
            grams.add(syllables[0])
        else:
            grams.update(f"{a} {b}" for a, b in zip(syllables, syllables[1:]))
    return grams


class FaqRetriever:
    """An immutable index over a list of FAQ entries (plus the names of their related items)."""

    def __init__(self, entries: list[FaqEntry], weights: dict | None = None, threshold: float | None = None,
                 margin: float | None = None, confident: float | None = None,
                 item_names: dict[str, str] | None = None, domain_boost: float | None = None,
                 filler: float | None = None):
        self.entries = list(entries)
        self.weights = dict(weights or WEIGHTS)
        self.threshold = THRESHOLD if threshold is None else threshold
        self.margin = MARGIN if margin is None else margin
        self.confident = CONFIDENT if confident is None else confident
        self.domain_boost = DOMAIN_BOOST if domain_boost is None else domain_boost
        self.filler = FILLER if filler is None else filler
        item_names = item_names or {}
        self.doc_faq: list[int] = []          # document index → entry index
        self.doc_text: list[str] = []
        corpus: list[list[str]] = []
        for index, entry in enumerate(self.entries):
            for text in entry.texts:
                self.doc_faq.append(index)
                self.doc_text.append(text)
                corpus.append(tokenize(text) or [normalise(text)])
        self._doc_faq = np.asarray(self.doc_faq, dtype=np.int64)
        self._bm25 = bm25s.BM25()
        if corpus:
            self._bm25.index(corpus, show_progress=False)
        self._term_faqs, self._term_idf = self._postings([set(tokens) for tokens in corpus])
        self._doc_terms = [set(tokens) for tokens in corpus]
        self._bigram_faqs, self._bigram_idf = self._postings([bigrams(text) for text in self.doc_text])
        self._answer_faqs = self._answer_postings(item_names)
        self._vocabulary = set(self._answer_faqs)
        self._by_pinyin = self._pinyin_index()
        self._domain = domain_terms()
        self._max_idf = max(self._term_idf.values(), default=1.0)
        self._max_bigram_idf = max(self._bigram_idf.values(), default=1.0)
        self._term_docs = self._doc_postings()
        self._doc_weight = self._doc_weights()

    def with_weighting(self, domain_boost: float, filler: float) -> "FaqRetriever":
        """The same index with another query-word weighting (calibration)."""
        clone = copy.copy(self)
        clone.domain_boost, clone.filler = domain_boost, filler
        clone._doc_weight = clone._doc_weights()
        return clone

    def _doc_postings(self) -> dict[str, np.ndarray]:
        """term → indices of the wordings containing it (for ``precision``)."""
        per_doc: dict[str, list[int]] = {}
        for doc, terms in enumerate(self._doc_terms):
            for term in terms:
                per_doc.setdefault(term, []).append(doc)
        return {term: np.asarray(docs, dtype=np.int64) for term, docs in per_doc.items()}

    def _doc_weights(self) -> np.ndarray:
        """Per wording: total weight of its words (for ``precision``)."""
        return np.array([sum(self.term_weight(t) for t in terms) or 1.0 for terms in self._doc_terms])

    def _answer_postings(self, item_names: dict[str, str]) -> dict[str, np.ndarray]:
        """word → entries whose answer, wordings or related item names contain it (the facts' vocabulary)."""
        per_faq: dict[str, set[int]] = {}
        for index, entry in enumerate(self.entries):
            texts = [entry.answer, *entry.texts, *(item_names.get(item, "") for item in entry.related_items)]
            for word in set().union(*(tokenize(text) for text in texts)):
                per_faq.setdefault(word, set()).add(index)
        return {w: np.fromiter(sorted(s), dtype=np.int64) for w, s in per_faq.items()}

    def _pinyin_index(self) -> dict[str, str]:
        """toneless pinyin → the indexed word (or synonym of one) of 2–4 characters spelled so (most frequent wins)."""
        by_pinyin: dict[str, str] = {}
        for word in sorted(self._vocabulary, key=lambda w: -len(self._answer_faqs[w])):
            if 2 <= len(word) <= 4 and _is_chinese(word):
                by_pinyin.setdefault(pinyin(word), word)
        for word, canonical in _CANONICAL.items():          # 执照 (indexed as 营业执照) too
            if canonical in self._vocabulary and 2 <= len(word) <= 4 and _is_chinese(word):
                by_pinyin.setdefault(pinyin(word), word)
        return by_pinyin

    def _postings(self, doc_features: list[set[str]]) -> tuple[dict[str, np.ndarray], dict[str, float]]:
        """feature → indices of the entries having it, and its IDF over entries."""
        per_faq: dict[str, set[int]] = {}
        for doc, features in enumerate(doc_features):
            for feature in features:
                per_faq.setdefault(feature, set()).add(self.doc_faq[doc])
        n = max(len(self.entries), 1)
        faqs = {f: np.fromiter(sorted(s), dtype=np.int64) for f, s in per_faq.items()}
        weight = {f: math.log(1 + n / len(s)) for f, s in per_faq.items()}
        return faqs, weight

    def respell(self, question: str) -> str:
        """``question`` normalised, with each run of 2–4 characters that jieba could only cut into single
        characters replaced by the indexed word that sounds the same, if any (voice-to-text and 同音字 typos:
        预申 → 预审, 执招 → 执照). Real words are never touched."""
        pieces = _tokenizer().lcut(normalise(question), HMM=False)
        out, i = [], 0
        while i < len(pieces):
            run = 0
            while i + run < len(pieces) and _is_misheard(pieces[i + run]):
                run += 1
            if run < 2:
                out.append(pieces[i])
                i += 1
                continue
            chars = "".join(pieces[i:i + run])
            j = 0
            while j < len(chars):
                for size in (4, 3, 2):
                    word = self._by_pinyin.get(pinyin(chars[j:j + size])) if j + size <= len(chars) else None
                    if word and len(word) == size:
                        out.append(word)
                        j += size
                        break
                else:
                    out.append(chars[j])
                    j += 1
            i += run
        return "".join(out)

    def term_weight(self, term: str) -> float:
        """IDF over entries (domain-dictionary terms boosted); unknown words weigh like the rarest known word,
        unknown function words ``filler`` times that."""
        if term in self._term_idf:
            weight = self._term_idf[term]
        elif term in self._vocabulary:          # only in answers or item names: known, but rarely asked
            weight = self._max_idf
        else:
            weight = self._max_idf * (self.filler if is_filler(term) else 1.0)
        return weight * self.domain_boost if term in self._domain else weight

    def query_terms(self, question: str) -> dict[str, float]:
        """The query's words (after ``respell``) with their weights."""
        return {token: self.term_weight(token) for token in tokenize(self.respell(question))}

    def query_groups(self, question: str) -> list[dict[str, float]]:
        """The query's concepts (see ``word_groups``), each a mapping of its words to their weights."""
        groups = []
        for group in word_groups(self.respell(question)):
            weights = {token: self.term_weight(token) for token in group}
            if any(weights.values()):
                groups.append(weights)
        return groups

    @staticmethod
    def _group_share(groups: list[dict[str, float]], postings: dict[str, np.ndarray], size: int) -> np.ndarray:
        """Per entry: weighted share of the query's concepts it contains. A concept weighs its heaviest word;
        an entry containing only a lighter word of it (预审 of 网上预审) gets that word's weight."""
        share = np.zeros(size)
        total = 0.0
        for group in groups:
            best = np.zeros(size)
            for token, weight in group.items():
                if token in postings:
                    np.maximum.at(best, postings[token], weight)
            share += best
            total += max(group.values())
        return share / total if total else share

    @staticmethod
    def _share(terms: dict[str, float], postings: dict[str, np.ndarray], size: int) -> np.ndarray:
        """Per entry: weighted share of ``terms`` it contains."""
        share = np.zeros(size)
        total = sum(terms.values())
        if not total:
            return share
        for term, weight in terms.items():
            if term in postings:
                share[postings[term]] += weight
        return share / total

    def features(self, question: str) -> np.ndarray:
        """Per entry (rows: bm25 relative to the best entry, coverage, bigram, answer, precision)."""
        size = len(self.entries)
        terms = self.query_terms(question)
        groups = self.query_groups(question)
        known = [t for t in terms if t in self._bm25.vocab_dict]
        bm25 = np.zeros(size)
        precision = np.zeros(size)
        if known:
            np.maximum.at(bm25, self._doc_faq, self._bm25.get_scores(known))
            top = bm25.max()
            if top > 0:
                bm25 = bm25 / top
            matched = np.zeros(len(self.doc_faq))
            for term in known:
                if term in self._term_docs:
                    matched[self._term_docs[term]] += terms[term]
            np.maximum.at(precision, self._doc_faq, matched / self._doc_weight)
        coverage = self._group_share(groups, self._term_faqs, size)
        grams = {g: self._bigram_idf.get(g, self._max_bigram_idf) for g in bigrams(self.respell(question))}
        bigram = self._share(grams, self._bigram_faqs, size)
        answer = self._group_share(groups, self._answer_faqs, size)
        return np.vstack([bm25, coverage, bigram, answer, precision])

    def combine(self, features: np.ndarray) -> np.ndarray:
        return np.asarray([self.weights.get(name, 0.0) for name in SIGNALS]) @ features

    def search(self, question: str, k: int = 3) -> list[Candidate]:
        """The ``k`` best entries for ``question``, best first (no threshold applied)."""
        if not self.entries or not normalise(question):
            return []
        features = self.features(question)
        score = self.combine(features)
        best = np.argsort(-score, kind="stable")[:max(k, 2)]
        candidates = [Candidate(self.entries[i], float(score[i]), *(float(x) for x in features[:, i]))
                      for i in best]
        return candidates[:k]

    def accepts(self, top: float, runner_up: float) -> bool:
        """Answer only a clear enough best match (see module docstring)."""
        return top >= self.confident or (top >= self.threshold and top - runner_up >= self.margin)

    def decide(self, question: str, k: int = 3) -> tuple[list[Candidate], bool]:
        """The ``k`` best candidates and whether the first one is good enough to answer with."""
        candidates = self.search(question, k=max(k, 2))
        if not candidates:
            return [], False
        runner_up = candidates[1].score if len(candidates) > 1 else 0.0
        return candidates[:k], self.accepts(candidates[0].score, runner_up)

    def ask(self, question: str) -> Answer | None:
        candidates, accepted = self.decide(question, k=1)
        if not accepted:
            return None
        best = candidates[0]
        entry = best.entry
        return Answer(answer=entry.answer, source=entry.source, score=round(best.score, 4), faq_id=entry.id,
                      question=entry.question, confidence=entry.confidence, topic=entry.topic)


def item_names() -> dict[str, str]:
    """item id → item name from the knowledge base (empty when the items cannot be loaded)."""
    from knowledge import get_kb

    try:
        return {item.id: item.name for item in get_kb().items}
    except Exception:   # retrieval must still answer from the FAQ when item files are broken
        _log.warning("item names not indexed: the knowledge base did not load", exc_info=True)
        return {}


class _Cache:
    def __init__(self):
        self.lock = threading.Lock()
        self.retriever: FaqRetriever | None = None
        self.directory: Path | None = None
        self.signature: tuple | None = None
        self.checked_at = -math.inf


_cache = _Cache()


def build_retriever(directory: Path | str | None = None) -> FaqRetriever:
    """A retriever over the FAQ under ``directory`` (default: the configured one) with its related item names
    from the knowledge base — what ``ask`` uses, and what the evaluation measures."""
    entries = load_faq(faq_dir() if directory is None else directory)
    return FaqRetriever(entries, item_names=item_names() if any(e.related_items for e in entries) else {})


def get_retriever() -> FaqRetriever:
    """The process-wide retriever for the configured FAQ directory, rebuilt when its files change."""
    directory = faq_dir()
    now = time.monotonic()
    cache = _cache
    if (cache.retriever is not None and cache.directory == directory
            and now - cache.checked_at < CHECK_INTERVAL_SECONDS):
        return cache.retriever
    with cache.lock:
        signature = files_signature(directory)
        if cache.retriever is None or cache.directory != directory or signature != cache.signature:
            cache.retriever = build_retriever(directory)
            cache.directory, cache.signature = directory, signature
            _log.info("FAQ index built: %d entries from %s", len(cache.retriever.entries), directory)
        cache.checked_at = time.monotonic()
        return cache.retriever


def invalidate() -> None:
    """Make the next query re-check the FAQ files (called after this process writes one)."""
    _cache.checked_at = -math.inf


def ask(question: str) -> Answer | None:
    """The best FAQ answer for ``question``, or None when no entry is close enough (offer a human)."""
    return get_retriever().ask(question)


def search(question: str, k: int = 3) -> list[Candidate]:
    return get_retriever().search(question, k=k)
