/* vkit — libxml2 helpers (see xml.h). */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

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
