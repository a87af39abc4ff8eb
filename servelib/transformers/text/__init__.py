"""text: tokenizers, stop words, n-grams, term hashing/counting, IDF, feature hashing, Word2Vec."""
