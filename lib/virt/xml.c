/* vkit — libxml2 helpers (see xml.h). */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlsave.h>

#include "virt/xml.h"

bool
vk_xml_is(const xmlNode *n, const char *name)
{
  return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

xmlNode *
vk_xml_child(const xmlNode *n, const char *name)
{
  for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
    if (vk_xml_is(c, name))
      return c;
  return NULL;
}

static char *
copy(xmlChar *v)
{
  char *s = v && *v ? strdup((const char *)v) : NULL;

  xmlFree(v);
  return s;
}

char *
vk_xml_attr(const xmlNode *n, const char *name)
{
  return n ? copy(xmlGetProp(n, (const xmlChar *)name)) : NULL;
}

char *
vk_xml_text(const xmlNode *n)
{
  return n ? copy(xmlNodeGetContent(n)) : NULL;
}

xmlDocPtr
vk_xml_read(const char *xml, size_t len, const char *what)
{
  return xmlReadMemory(xml, (int)len, what, NULL,
                       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

void
vk_cleanup_xmldoc(xmlDocPtr *doc)
{
  if (*doc)
    xmlFreeDoc(*doc);
}

xmlNodePtr
vk_xml_add(vk_xml_builder *b, xmlNodePtr parent, const char *name, const char *text)
{
  xmlNodePtr n;

  if (!parent) {
    b->oom = true;
    return NULL;
  }
  /* xmlNewTextChild escapes its content; xmlNewChild would not. */
  n = xmlNewTextChild(parent, NULL, BAD_CAST name, text ? BAD_CAST text : NULL);
  if (!n)
    b->oom = true;
  return n;
}

void
vk_xml_set(vk_xml_builder *b, xmlNodePtr node, const char *name, const char *value)
{
  if (!node || !value)
    return;
  if (!xmlNewProp(node, BAD_CAST name, BAD_CAST value))
    b->oom = true;
}

char *
vk_xml_serialize(vk_xml_builder *b, xmlDocPtr doc)
{
  xmlBufferPtr buf = xmlBufferCreate();
  xmlSaveCtxtPtr save;
  char *out = NULL;

  if (!buf) {
    b->oom = true;
    return NULL;
  }
  save = xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_FORMAT | XML_SAVE_NO_DECL);
  if (save) {
    bool ok = xmlSaveDoc(save, doc) >= 0;
    /* closing flushes into buf */
    if (xmlSaveClose(save) >= 0 && ok)
      out = strdup((const char *)xmlBufferContent(buf));
  }
  if (!out)
    b->oom = true;
  xmlBufferFree(buf);
  return out;
}
