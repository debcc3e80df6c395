/* vkit — the few libxml2 helpers every reader and writer of libvirt and
 * osinfo XML uses: find elements, copy attributes and text, parse safely
 * (no network, no messages), free with a cleanup attribute; add elements
 * and attributes and serialize, with one out-of-memory check at the end. */
#ifndef VK_VIRT_XML_H
#define VK_VIRT_XML_H

#include <stdbool.h>

#include <libxml/tree.h>

/* True when n is an element called `name` (n may be NULL). */
bool vk_xml_is(const xmlNode *n, const char *name);
/* The first child element of n called `name`, or NULL (n may be NULL). */
xmlNode *vk_xml_child(const xmlNode *n, const char *name);
/* A copy (malloc) of attribute `name` of n, NULL if absent or empty. */
char *vk_xml_attr(const xmlNode *n, const char *name);
/* A copy (malloc) of the text of n, NULL if n is NULL or it is empty. */
char *vk_xml_text(const xmlNode *n);
/* Parse `len` bytes of XML named `what` in libxml2's messages (which are
 * not printed); NULL when it is not well-formed. */
xmlDocPtr vk_xml_read(const char *xml, size_t len, const char *what);

/* Builder state: the first allocation failure is remembered and checked
 * once at the end, so that code building XML reads like the XML. */
typedef struct vk_xml_builder {
  bool oom;
} vk_xml_builder;

/* A new child element of parent called `name` with text `text` (escaped;
 * NULL: empty).  NULL parent or no memory: NULL, and b->oom set. */
xmlNodePtr vk_xml_add(vk_xml_builder *b, xmlNodePtr parent, const char *name, const char *text);
/* Attribute name=value on node (escaped); nothing when node or value is
 * NULL. */
void vk_xml_set(vk_xml_builder *b, xmlNodePtr node, const char *name, const char *value);
/* The document indented, without the XML declaration, as a string the
 * caller frees; NULL (b->oom set) when memory runs out. */
char *vk_xml_serialize(vk_xml_builder *b, xmlDocPtr doc);

void vk_cleanup_xmldoc(xmlDocPtr *doc);
#define CLEANUP_XMLDOC __attribute__((cleanup(vk_cleanup_xmldoc)))

#endif
