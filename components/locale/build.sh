#!/bin/sh
# Refresh the message template from the code and compile each catalogue.
# After adding or changing a `_("...")` string: run this, translate the new
# entries in <lang>/LC_MESSAGES/autograd_explorer.po, run it again, commit both files.
set -eu
cd "$(dirname "$0")/../.."
# graphs/views/pitfalls.py and graphs/render/player.py: the notes drawn on nodes and the player's captions,
# written `Note("...")` in the UI-free core.
xgettext --language=Python --keyword=_ --keyword=N_ --keyword=Note --from-code=UTF-8 --no-location \
  --sort-output --package-name=autograd-explorer -o components/locale/autograd_explorer.pot \
  app.py components/*.py components/*/*.py graphs/views/pitfalls.py graphs/render/player.py
for po in components/locale/*/LC_MESSAGES/autograd_explorer.po; do
  msgmerge --quiet --update --backup=none --no-location --sort-output "$po" components/locale/autograd_explorer.pot
  msgfmt --check --output-file="${po%.po}.mo" "$po"
done
