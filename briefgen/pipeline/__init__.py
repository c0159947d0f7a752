"""The build stages, in order: load (+ validate) -> link (+ related, threads) ->
plan (views, editions, feeds, email) -> render (+ theme) -> write; parallel runs stage work
on worker processes."""
